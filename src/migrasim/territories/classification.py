"""Every classification of territories, in one place: EPCI kinds, the urban hierarchy,
régions and study-area zones. The data build assigns them; the model, the config schema
and the indicators read them from here.
"""

from __future__ import annotations

# EPCI legal kinds (2024): métropole, communauté urbaine, d'agglomération, de communes.
KINDS = ("ME", "CU", "CA", "CC")
# Kind of each type of the Etalab table (the Métropole de Lyon, MET69, counts as ME).
KIND_OF_TYPE = {"METRO": "ME", "MET69": "ME", "CU": "CU", "CA": "CA", "CC": "CC"}

# Urban hierarchy, after POPSU and INSEE categories (docs/territories.md).
HIERARCHY = ("paris", "metropole", "large_urban", "medium", "small_rural")
URBAN = ("paris", "metropole", "large_urban", "medium")  # urban poles of a return move
PARIS_EPCI = "200054781"  # Métropole du Grand Paris
LARGE_URBAN_MIN_POP = 200_000  # POPSU: "cities of at least 200,000 inhabitants"
MEDIUM_MIN_POP = 50_000  # INSEE: lower bound of a "moyenne" aire d'attraction

# INSEE région codes (2016 map).
REGIONS = {
    "01": "Guadeloupe", "02": "Martinique", "03": "Guyane", "04": "La Réunion",
    "06": "Mayotte", "11": "Île-de-France", "24": "Centre-Val de Loire",
    "27": "Bourgogne-Franche-Comté", "28": "Normandie", "32": "Hauts-de-France",
    "44": "Grand Est", "52": "Pays de la Loire", "53": "Bretagne",
    "75": "Nouvelle-Aquitaine", "76": "Occitanie", "84": "Auvergne-Rhône-Alpes",
    "93": "Provence-Alpes-Côte d'Azur", "94": "Corse",
}
IDF = "11"  # Île-de-France

AREAS = ("metro", "overseas", "all")  # study areas: metropolitan France, overseas, both


def hierarchy_class(code: str, kind: str, population: float) -> str:
    """Urban-hierarchy class of an EPCI."""
    if code == PARIS_EPCI:
        return "paris"
    if kind == "ME":
        return "metropole"
    if population >= LARGE_URBAN_MIN_POP:
        return "large_urban"
    if population >= MEDIUM_MIN_POP:
        return "medium"
    return "small_rural"
