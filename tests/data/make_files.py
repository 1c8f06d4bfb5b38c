"""Write the import test files (run once: `.venv/bin/python tests/data/make_files.py`)."""

import random
import struct
import zlib
from pathlib import Path

from openpyxl import Workbook

HERE = Path(__file__).resolve().parent

EN_HEADER = ["Company", "Contact name", "Email", "Phone", "Country", "Industry", "Title", "Notes"]
EN_ROWS = [
    ["Müller Präzisionstechnik GmbH", "Anna Müller", "anna@mueller.example", "+49 30 1234567",
     "Germany", "precision-machinery", "CEO", "Met at booth, wants 50 mu"],
    ["Dubois Emballage SARL", "Jean Dubois", "jean@dubois.example", "+33 1 42 68 53 00",
     "FR", "packaging", "Directeur", ""],
    ["Chengdu Tianfu Precision Machinery Co., Ltd.", "Wang Wei", "wang@tianfu.example",
     "+86 138 0013 8000", "China", "precision-machinery", "Sales manager", ""],
]  # fmt: skip

ZH_HEADER = ["公司名称", "联系人", "邮箱", "手机", "国家", "行业", "职位", "备注"]
ZH_ROWS = [
    ["成都天府精密机械有限公司", "王伟", "wang.wei@tianfu.example", "13800138000", "中国",
     "精密机械", "销售经理", "展会现场交换名片"],
    ["成都天府食品有限公司", "李娜", "lina@tianfu-food.example", "13900139000", "中国",
     "食品", "总经理", ""],
    ["宁波新材料科技有限公司", "张敏", "zhang@nbnm.example", "+86 574 8765 4321", "CN", "新材料",
     "", "意向：20亩"],
    ["苏州汽车零部件有限公司", "刘洋", "不是邮箱", "13700137000", "中国", "汽车", "", ""],
    ["", "陈静", "chen@nocompany.example", "", "中国", "", "", "没有公司名称"],
    ["深圳华为技术有限公司", "杨勇", "yang@huawei.example", "", "火星", "电子", "", ""],
    ["德国穆勒精密技术有限公司", "Anna Müller", "anna@mueller.example", "", "德国", "", "", ""],
    ["成都天府精密机械有限公司", "赵强", "zhao@tianfu.example", "", "中国", "", "", "同一家公司"],
]  # fmt: skip


def png_bytes() -> bytes:
    """A real 1x1 PNG."""

    def chunk(kind: bytes, data: bytes) -> bytes:
        body = kind + data
        return struct.pack(">I", len(data)) + body + struct.pack(">I", zlib.crc32(body))

    header = struct.pack(">IIBBBBB", 1, 1, 8, 2, 0, 0, 0)
    pixels = zlib.compress(b"\x00\xff\x00\x00")
    return (
        b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header) + chunk(b"IDAT", pixels) + chunk(b"IEND", b"")
    )


def csv_text(header, rows, delimiter=",") -> str:
    def cell(value: str) -> str:
        if any(c in value for c in (delimiter, '"', "\n")):
            return '"' + value.replace('"', '""') + '"'
        return value

    return "".join(delimiter.join(cell(v) for v in row) + "\r\n" for row in [header, *rows])


def fair_500() -> str:
    """500 fair contacts, some already leads under their English or Chinese name (demo, bench)."""
    rng = random.Random(4)
    places = ["成都", "苏州", "宁波", "青岛", "无锡", "佛山", "清远", "杭州"]
    brands = ["天府", "华辰", "远航", "金达", "恒信", "博越", "瑞丰", "宏图", "新锐", "东升"]
    trades = ["精密机械", "电子科技", "汽车零部件", "新材料", "食品", "生物医药", "智能装备"]
    surnames, given = "王李张刘陈杨赵黄周吴", "伟芳娜敏静丽强磊军洋"
    rows, used = [], set()
    while len(rows) < 500:
        name = rng.choice(places) + rng.choice(brands) + rng.choice(trades) + "有限公司"
        if name in used:
            name = name.replace("有限公司", f"{len(rows)}号有限公司")
        used.add(name)
        n = len(rows)
        rows.append(
            [name, rng.choice(surnames) + rng.choice(given), f"contact{n}@fair{n % 97}.example",
             f"13{rng.randint(100000000, 999999999)}", "中国", "", "", ""]
        )  # fmt: skip
    return csv_text(ZH_HEADER, rows)


def main() -> None:
    (HERE / "utf8.csv").write_text(csv_text(EN_HEADER, EN_ROWS), encoding="utf-8")
    (HERE / "utf8_bom.csv").write_text(csv_text(ZH_HEADER, ZH_ROWS[:3]), encoding="utf-8-sig")
    (HERE / "gb18030.csv").write_bytes(csv_text(ZH_HEADER, ZH_ROWS).encode("gb18030"))
    de_header = ["Firma", "Vorname", "Nachname", "E-Mail", "Telefon", "Land", "Bemerkung"]
    de_rows = [
        ["Weber Maschinenbau GmbH", "Lukas", "Weber", "lukas@weber.example", "030 1234567",
         "Deutschland", "Preis: 1.200,50 €; Interesse an Halle"],
        ["Becker Maschinenbau GmbH", "Sophie", "Becker", "sophie@becker.example", "",
         "Österreich", ""],
    ]  # fmt: skip
    (HERE / "semicolon.csv").write_text(csv_text(de_header, de_rows, ";"), encoding="utf-8")
    (HERE / "tab.tsv").write_text(csv_text(EN_HEADER, EN_ROWS, "\t"), encoding="utf-8")
    book = Workbook()
    sheet = book.active
    sheet.title = "Contacts"
    sheet.append(["Organisation", "Name", "E-mail", "Mobile", "Country", "Rating", "Tags"])
    sheet.append(["Siemens AG", "Paul Martin", "paul@siemens.example", "+49 89 636 00", "DE",
                  "hot", "automation, fair 2026"])  # fmt: skip
    sheet.append(["Siemens Healthineers AG", "Emma Weber", "emma@healthineers.example", None,
                  "Germany", "warm", ""])  # fmt: skip
    sheet.append(["=HYPERLINK(\"http://evil.example\",\"click\")", "Eve", "eve@evil.example",
                  None, "FR", "cold", None])  # fmt: skip
    sheet.append([None, None, None, None, None, None, None])
    book.save(HERE / "contacts.xlsx")
    (HERE / "empty.csv").write_bytes(b"")
    (HERE / "header_only.csv").write_text(",".join(EN_HEADER) + "\r\n", encoding="utf-8")
    (HERE / "png_renamed.csv").write_bytes(png_bytes())
    (HERE / "broken_quoting.csv").write_text(
        'Company,Email\r\n"Open quote GmbH,a@b.example\r\nFine AG,c@d.example\r\n'
        'Stray "quote" SA",e@f.example\r\n',
        encoding="utf-8",
    )
    (HERE / "mixed_encoding.csv").write_bytes(
        "公司名称,邮箱\r\n".encode()
        + "成都天府精密机械有限公司,a@tianfu.example\r\n".encode()
        + "宁波新材料科技有限公司,b@nbnm.example\r\n".encode("gbk")
    )
    (HERE / "duplicate_headers.csv").write_text(
        "Company,Email,Phone,email\r\nA GmbH,a@a.example,,b@a.example\r\n", encoding="utf-8"
    )
    (HERE / "formulas.csv").write_text(
        csv_text(
            ["Company", "Contact name", "Email", "Phone", "Country", "Notes"],
            [
                ["=1+2", "@SUM(A1:A3)", "f1@formula.example", "+49 30 1234567", "DE", "-2+3"],
                [
                    "Formula Test GmbH",
                    "+cmd|' /C calc'!A0",
                    "f2@formula.example",
                    "",
                    "DE",
                    '=HYPERLINK("http://evil.example")',
                ],
            ],  # fmt: skip
        ),
        encoding="utf-8",
    )
    (HERE / "fair_500_gb18030.csv").write_bytes(fair_500().encode("gb18030"))


if __name__ == "__main__":
    main()
