"""Rebuild the sample ledger sheets/整改任务台账.xlsx from the 19 items of the bureau's
2025 巡察整改 report, laid out the way offices keep such ledgers: a title row, a
填报单位 line, a two-level header, categories and sections merged down, mixed deadline
forms, an instructions sheet and a contacts sheet.

    python sheets/make_sample.py [--out PATH]
"""

from __future__ import annotations

import argparse
from datetime import date
from pathlib import Path

from openpyxl import Workbook
from openpyxl.styles import Alignment, Border, Font, PatternFill, Side
from openpyxl.worksheet.worksheet import Worksheet

HERE = Path(__file__).resolve().parent
OUT = HERE / "整改任务台账.xlsx"

CATEGORIES = [
    "落实习近平总书记对湖南重要指示批示“守护一江碧水”有差距",
    "政治担当不够，巡视巡察、生态环保督察交办问题整改不彻底",
    "蓝天碧水净土保卫战差距大",
    "整改进展滞后",
    "建设项目问题较突出",
    "主体责任落实不好",
    "有案不查",
    "工作走过场",
    "行政审批不规范",
    "监测能力持续弱化",
    "上级警示片披露问题整改进展滞后",
]

# category index, problem, measures, leader, lead, support, owner, deadline, status, progress, note
ITEMS: list[tuple[int, str, str, str, str, str, str, object, str, object, str]] = [
    (
        0,
        "南洞庭湖国控断面还不能稳定达到三类水质",
        "印发重点断面水环境治理任务清单，实施10项总磷控制与削减项目",
        "李红梅",
        "水环境股",
        "市水利局、市农业农村局",
        "周敏",
        "2025年12月底前",
        "正在推进",
        0.75,
        "10项总磷控制与削减项目全部完成，1-6月总磷平均浓度同比下降14%",
    ),
    (
        1,
        "巴南湖采区“超时、超量、超界”采砂问题",
        "按警示片披露问题整改方案开展整改销号，联合水利、交通部门加强监管",
        "王建国",
        "自然生态股",
        "市水利局、市交通运输局",
        "陈立",
        "长期坚持",
        "已销号",
        1,
        "2024年9月通过省级验收销号，持续监管防反弹",
    ),
    (
        1,
        "2023年省级督察指出问题在2024年中央督察中被作为典型案例公布",
        "清退保护区内欧美黑杨，解除违规造林合同，按生态修复方案分阶段修复",
        "王建国",
        "自然生态股",
        "市林业局、南洞庭湖保护区管理局",
        "陈立",
        date(2025, 6, 30),
        "正在推进",
        0.8,
        "欧美黑杨全部清退，生态修复方案已上报备案审批",
    ),
    (
        2,
        "秸秆禁烧管控不力",
        "划定全域禁烧区，组织乡镇网格化巡查，推进秸秆综合利用",
        "张志刚",
        "大气环境股",
        "市农业农村局、各镇（街道、中心）",
        "刘洋",
        "长期坚持",
        "持续推进",
        None,
        "已出台禁烧区域划定通告，网格化巡查常态开展",
    ),
    (
        2,
        "2024年油菜秸秆焚烧现象普遍",
        "多渠道宣传禁烧政策，开通铁塔视频监控，专人24小时值守",
        "张志刚",
        "大气环境股",
        "各镇（街道、中心）",
        "刘洋",
        "立行立改",
        "已完成",
        1,
        "宣传车、村村响广播全覆盖，火点及时处置",
    ),
    (
        2,
        "重污染天气管控不到位",
        "落实“1520”火点处置机制，加强扬尘、油烟管控和应急减排准备",
        "张志刚",
        "大气环境股",
        "市住房和城乡建设局、市公安局",
        "刘洋",
        "2025年6月底前",
        "正在推进",
        0.6,
        "蓝天办实行日调度，禁燃禁放通告修订中",
    ),
    (
        2,
        "高污染燃料禁燃区划定工作未完成",
        "联合市场监管部门淘汰生物质锅炉和燃煤锅炉",
        "张志刚",
        "大气环境股",
        "市市场监督管理局",
        "刘洋",
        "2025年3月31日",
        "已完成",
        1,
        "12家生物质锅炉和3家燃煤锅炉已全部淘汰",
    ),
    (
        2,
        "未将有关企业纳入重污染天气应急减排清单",
        "按技术指南梳理应急减排清单，将相关企业纳入并复核减排措施",
        "张志刚",
        "大气环境股",
        "",
        "刘洋",
        "一季度",
        "已完成",
        1,
        "3家企业已纳入2025年度应急减排清单",
    ),
    (
        2,
        "部分水质断面不能稳定达标，河湖排污口整治进展慢",
        "印发重点断面治理任务责任清单，生环委办定期调度",
        "李红梅",
        "水环境股",
        "各镇（街道、中心）",
        "周敏",
        "2025年底",
        "正在推进",
        0.5,
        "52个排污口已整治销号，断面治理按清单推进",
    ),
    (
        2,
        "污染地块管控不到位，农村黑臭水体整治工作推进慢",
        "编制优先监管地块管控方案，采取控源截污、清淤疏浚、生态修复措施",
        "李红梅",
        "土壤生态环境股",
        "市住房和城乡建设局、市农业农村局",
        "黄静",
        "2025/5/31",
        "未完成",
        0.4,
        "渝湘化工地块管控方案编制完成，管控措施落实中",
    ),
    (
        3,
        "2024年污染防治攻坚战“夏季攻势”整体进度慢",
        "印发任务清单，生环委办定期调度，督促按时保质完成",
        "王建国",
        "综合股",
        "",
        "杨帆",
        "2025年12月",
        "已完成",
        1,
        "10大类99项任务全部完成并通过验收销号",
    ),
    (
        4,
        "生态修复项目、水域环境整治提升项目未按时完工",
        "督促项目建设单位加快建设和验收，确保按期保质完成",
        "刘芳",
        "计划财务股",
        "市水利局",
        "赵磊",
        "2025年6月25日前",
        "正在推进",
        0.8,
        "2个项目均已完工，验收资料整理中",
    ),
    (
        5,
        "未开展针对性教育引导，警示教育缺位，干部纪律作风松散",
        "召开警示教育会议，实行人脸识别打卡，将主体责任纳入年度考核",
        "刘芳",
        "办公室",
        "",
        "孙丽",
        "长期坚持",
        "持续推进",
        None,
        "已召开警示教育会议，考勤制度已落实",
    ),
    (
        6,
        "部分单位许可证到期未及时延续，存在监管缺位",
        "复核到期未延续许可证，约谈执法人员，开展业务培训",
        "王建国",
        "执法大队",
        "行政审批股",
        "吴强",
        "2025.6.15",
        "未完成",
        "30%",
        "已复核相关企业，专题培训待组织",
    ),
    (
        7,
        "部分执法人员执法不规范，存在单人开展现场环境监察",
        "严格落实2人入企检查，开展执法业务和法律知识培训",
        "王建国",
        "执法大队",
        "",
        "吴强",
        "立行立改",
        "已整改",
        1,
        "已杜绝单人现场监察，涉事人员已谈话提醒",
    ),
    (
        8,
        "项目先批复后补充受理手续，转嫁专家评审费用",
        "规范审批流程，退还企业专家评审费用，评审费用由地方事权经费解决",
        "刘芳",
        "行政审批股",
        "计划财务股",
        "郑洁",
        "上半年",
        "已完成",
        1,
        "专家评审费用已全部退还",
    ),
    (
        9,
        "监测站持证人员不足，对第三方监测机构监管不严",
        "开展技术人员培训，参加持证上岗考试，定期检查第三方监测机构",
        "李红梅",
        "监测站",
        "",
        "钱进",
        "2025年第三季度",
        "正在推进",
        50,
        "全员通过理论考试，待参加现场考核",
    ),
    (
        9,
        "水体治理项目验收检测报告存在原始记录涂改、采样记录错误",
        "督促第三方检测公司整改，加强外委样品质控和原始记录抽检",
        "李红梅",
        "监测站",
        "",
        "钱进",
        date(2025, 4, 30),
        "已完成",
        1,
        "第三方检测公司已于2025年4月完成整改",
    ),
    (
        10,
        "上级警示片披露的相关问题，2个问题未完成整改销号",
        "生环委办督促相关部门加快整治进度，按方案整改销号",
        "王建国",
        "综合股",
        "市水利局",
        "杨帆",
        "待定",
        "未完成",
        0,
        "两个问题整治方案已报送，销号时间待省里确定",
    ),
]

HEADER_TOP = [
    "序号",
    "反馈问题",
    "具体问题",
    "整改措施",
    "责任领导",
    "责任单位",
    None,
    "责任人",
    "完成时限",
    "整改情况",
    None,
    None,
    "备注",
]
HEADER_SUB = [
    None,
    None,
    None,
    None,
    None,
    "牵头单位",
    "配合单位",
    None,
    None,
    "整改状态",
    "完成进度",
    "整改进展",
    None,
]
WIDTHS = [6, 22, 30, 36, 9, 14, 22, 8, 14, 10, 9, 36, 10]

CONTACTS = [
    ("办公室", "孙丽", "office@example.gov.cn"),
    ("综合股", "杨帆", "zh@example.gov.cn"),
    ("水环境股", "周敏", "shj@example.gov.cn"),
    ("大气环境股", "刘洋", "dq@example.gov.cn"),
    ("土壤生态环境股", "黄静", "tr@example.gov.cn"),
    ("自然生态股", "陈立", "zr@example.gov.cn"),
    ("执法大队", "吴强", "zf@example.gov.cn"),
    ("行政审批股", "郑洁", "sp@example.gov.cn"),
    ("监测站", "钱进", "jc@example.gov.cn"),
]

THIN = Side(style="thin", color="808080")
BORDER = Border(left=THIN, right=THIN, top=THIN, bottom=THIN)
WRAP = Alignment(wrap_text=True, vertical="center")
CENTER = Alignment(horizontal="center", vertical="center", wrap_text=True)
FONT = "宋体"


def build(out: Path) -> Path:
    wb = Workbook()
    ws = wb.active
    assert ws is not None
    ws.title = "整改台账"
    _title(ws)
    _header(ws)
    _items(ws)
    _instructions(wb.create_sheet("填表说明"))
    _contacts(wb.create_sheet("联系人"))
    out.parent.mkdir(parents=True, exist_ok=True)
    wb.save(out)
    return out


def _title(ws: Worksheet) -> None:
    ws["A1"] = "益阳市生态环境局沅江分局专项巡察整改任务台账"
    ws["A1"].font = Font(name=FONT, size=16, bold=True)
    ws["A1"].alignment = CENTER
    ws.merge_cells("A1:M1")
    ws.row_dimensions[1].height = 32
    ws["A2"] = "填报单位：整改工作专班办公室        填报时间：2025年6月20日"
    ws["A2"].font = Font(name=FONT, size=11)
    ws.merge_cells("A2:M2")


def _header(ws: Worksheet) -> None:
    fill = PatternFill("solid", fgColor="DDEBF7")
    for col, (top, sub) in enumerate(zip(HEADER_TOP, HEADER_SUB, strict=True), start=1):
        for row, value in ((3, top), (4, sub)):
            cell = ws.cell(row=row, column=col, value=value)
            cell.font = Font(name=FONT, bold=True)
            cell.alignment = CENTER
            cell.fill = fill
            cell.border = BORDER
    for col, (top, sub) in enumerate(zip(HEADER_TOP, HEADER_SUB, strict=True), start=1):
        if top and not sub and col not in (6, 10):
            ws.merge_cells(start_row=3, start_column=col, end_row=4, end_column=col)
    ws.merge_cells("F3:G3")
    ws.merge_cells("J3:L3")
    for col, width in enumerate(WIDTHS, start=1):
        ws.column_dimensions[chr(64 + col)].width = width
    ws.freeze_panes = "C5"


def _items(ws: Worksheet) -> None:
    first = 5
    for offset, item in enumerate(ITEMS):
        cat, title, measures, leader, lead, support, owner, deadline, status, progress, note = item
        row = first + offset
        values = [
            offset + 1,
            CATEGORIES[cat],
            title,
            measures,
            leader,
            lead,
            support,
            owner,
            deadline,
            status,
            progress,
            note,
            None,
        ]
        for col, value in enumerate(values, start=1):
            cell = ws.cell(row=row, column=col, value=value)
            cell.font = Font(name=FONT, size=10)
            cell.alignment = WRAP
            cell.border = BORDER
        if isinstance(deadline, date):
            ws.cell(row=row, column=9).number_format = "yyyy年m月d日"
        if isinstance(progress, float | int) and progress <= 1:
            ws.cell(row=row, column=11).number_format = "0%"
    _merge_runs(ws, first, column=2, keys=[item[0] for item in ITEMS])


def _merge_runs(ws: Worksheet, first: int, column: int, keys: list[int]) -> None:
    """Merge a column down over each run of equal keys, as offices merge a category over its items."""
    start = 0
    for index in range(1, len(keys) + 1):
        if index == len(keys) or keys[index] != keys[start]:
            if index - start > 1:
                ws.merge_cells(
                    start_row=first + start, start_column=column, end_row=first + index - 1, end_column=column
                )
            start = index


def _instructions(ws: Worksheet) -> None:
    lines = [
        "填表说明",
        "1. 完成时限填写具体日期（如2025年6月30日）、“长期坚持”或“立行立改”。",
        "2. 完成进度填写百分比；整改完成后整改状态填写“已完成”。",
        "3. 每周五下班前更新整改进展，办公室每周一汇总。",
    ]
    for row, line in enumerate(lines, start=1):
        ws.cell(row=row, column=1, value=line)
    ws.column_dimensions["A"].width = 80


def _contacts(ws: Worksheet) -> None:
    ws.append(["股室", "联系人", "电子邮箱"])
    for row in CONTACTS:
        ws.append(list(row))
    for col, width in zip("ABC", (18, 10, 28), strict=True):
        ws.column_dimensions[col].width = width


def main() -> None:
    parser = argparse.ArgumentParser(description="重新生成示例台账")
    parser.add_argument("--out", type=Path, default=OUT)
    print(build(parser.parse_args().out))


if __name__ == "__main__":
    main()
