"""The usual petition categories, seeded into the managed list by a data migration.

Codes are stable identifiers for integrators; names can be edited by the office.
"""

SEED_CATEGORIES = [
    ("urban_construction", "城乡建设", "Urban and rural construction"),
    ("housing", "住房保障与房地产", "Housing and real estate"),
    ("land_resources", "国土资源", "Land and resources"),
    ("labour_social_security", "劳动和社会保障", "Labour and social security"),
    ("agriculture", "农村农业", "Agriculture and rural affairs"),
    ("environment", "环境保护", "Environmental protection"),
    ("health", "卫生计生", "Health and family planning"),
    ("education", "教育文体", "Education, culture and sports"),
    ("transport", "交通运输", "Transport"),
    ("commerce_tourism", "商贸旅游", "Commerce and tourism"),
    ("civil_affairs", "民政", "Civil affairs"),
    ("law_justice", "政法", "Law enforcement and justice"),
    ("discipline", "纪检监察", "Discipline inspection and supervision"),
    ("enterprise_reform", "企业改制", "Enterprise restructuring"),
    ("science_technology", "科技与信息产业", "Science, technology and information"),
    ("veterans", "退役军人事务", "Veterans' affairs"),
    ("organisation_personnel", "组织人事", "Organisation and personnel"),
    ("proposals", "意见建议", "Opinions and suggestions"),
    ("other", "其他", "Other"),
]


def seed_categories(category_model) -> None:
    """Create the seed categories that are missing (idempotent). Takes the model as an
    argument so the data migration can pass its historical version."""
    for order, (code, name, name_en) in enumerate(SEED_CATEGORIES):
        category_model.objects.get_or_create(
            code=code, defaults={"name": name, "name_en": name_en, "sort_order": order}
        )
