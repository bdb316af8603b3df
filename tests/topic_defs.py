"""The Azerbaijan–China topic as the tests define it (the same as the shipped default)."""

AZ_CN = {
    "name": "azerbaijan-china",
    "title": "Azerbaijan–China relations",
    "groups": [
        {
            "mode": "any",
            "terms": [
                "Azerbaijan",
                "Azerbaijani",
                "Baku",
                "Azərbaycan",
                "Bakı",
                "Азербайджан",
                "Баку",
                "阿塞拜疆",
            ],
        },
        {
            "mode": "any",
            "terms": [
                "China",
                "Chinese",
                "Beijing",
                "Çin",
                "Pekin",
                "Китай",
                "Пекин",
                "中国",
                "北京",
            ],
        },
    ],
}
