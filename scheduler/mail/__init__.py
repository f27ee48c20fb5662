"""Mail: who gets what (compose), how it looks (layout), and how it leaves (transports, deliver)."""
