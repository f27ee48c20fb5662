"""What people see: the terminal, mail layouts, the report workbook, the 通报 draft, the page."""
