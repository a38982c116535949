"""Countries by ISO 3166-1 code and by name in English, German, French, Dutch and Spanish.

A small table rather than a dependency: the countries documents name most often (Europe,
the Americas, the larger economies of Asia, Africa and Oceania). Each row: alpha-2,
alpha-3, then the names, folded (lower case, no accents), "|" between them. A name not
in the table is refused, never guessed.
"""

from __future__ import annotations

import functools

_ROWS = """
AT AUT austria|osterreich|autriche|oostenrijk
BE BEL belgium|belgien|belgique|belgie|belgica
BG BGR bulgaria|bulgarien|bulgarie|bulgarije
HR HRV croatia|kroatien|croatie|kroatie|croacia
CY CYP cyprus|zypern|chypre|chipre
CZ CZE czechia|czech republic|tschechien|tschechische republik|tchequie|republique tcheque|tsjechie|chequia|republica checa
DK DNK denmark|danemark|dinamarca|denemarken|danmark
EE EST estonia|estland|estonie
FI FIN finland|finnland|finlande|finlandia
FR FRA france|frankreich|frankrijk|francia
DE DEU germany|deutschland|allemagne|duitsland|alemania|bundesrepublik deutschland
GR GRC greece|griechenland|grece|griekenland|grecia
HU HUN hungary|ungarn|hongrie|hongarije|hungria
IE IRL ireland|irland|irlande|ierland|irlanda
IT ITA italy|italien|italie|italia
LV LVA latvia|lettland|lettonie|letland|letonia
LT LTU lithuania|litauen|lituanie|litouwen|lituania
LU LUX luxembourg|luxemburg|luxemburgo
MT MLT malta|malte
NL NLD netherlands|the netherlands|niederlande|pays-bas|nederland|paises bajos|holland|holanda
PL POL poland|polen|pologne|polonia
PT PRT portugal
RO ROU romania|rumanien|roumanie|roemenie|rumania
SK SVK slovakia|slowakei|slovaquie|slowakije|eslovaquia
SI SVN slovenia|slowenien|slovenie|eslovenia
ES ESP spain|spanien|espagne|spanje|espana
SE SWE sweden|schweden|suede|zweden|suecia
IS ISL iceland|island|islande|ijsland|islandia
LI LIE liechtenstein
NO NOR norway|norwegen|norvege|noorwegen|noruega
CH CHE switzerland|schweiz|suisse|zwitserland|suiza|svizzera
GB GBR united kingdom|great britain|vereinigtes konigreich|grossbritannien|royaume-uni|verenigd koninkrijk|reino unido|england
US USA united states|united states of america|vereinigte staaten|usa|etats-unis|verenigde staten|estados unidos
CA CAN canada|kanada
MX MEX mexico|mexiko|mexique
BR BRA brazil|brasilien|bresil|brazilie|brasil
AR ARG argentina|argentinien|argentine|argentinie
CL CHL chile|chili
CO COL colombia|kolumbien|colombie
PE PER peru|perou
CN CHN china|chine|volksrepublik china
JP JPN japan|japon
KR KOR south korea|sudkorea|coree du sud|zuid-korea|corea del sur
IN IND india|indien|inde
ID IDN indonesia|indonesien|indonesie
SG SGP singapore|singapur|singapour
HK HKG hong kong|hongkong
TW TWN taiwan|taiwan
TH THA thailand|thailande|tailandia
VN VNM vietnam|viet nam
MY MYS malaysia|malaisie|maleisie|malasia
PH PHL philippines|philippinen|filipijnen|filipinas
AU AUS australia|australien|australie
NZ NZL new zealand|neuseeland|nouvelle-zelande|nieuw-zeeland|nueva zelanda
RU RUS russia|russian federation|russland|russie|rusland|rusia
UA UKR ukraine|oekraine|ucrania
TR TUR turkey|turkiye|turkei|turquie|turkije|turquia
IL ISR israel|israël
AE ARE united arab emirates|vereinigte arabische emirate|emirats arabes unis|verenigde arabische emiraten|emiratos arabes unidos
SA SAU saudi arabia|saudi-arabien|arabie saoudite|saoedi-arabie|arabia saudita
EG EGY egypt|agypten|egypte|egipto
ZA ZAF south africa|sudafrika|afrique du sud|zuid-afrika|sudafrica
NG NGA nigeria
MA MAR morocco|marokko|maroc|marruecos
KE KEN kenya|kenia
RS SRB serbia|serbien|serbie|servie
BA BIH bosnia and herzegovina|bosnien und herzegowina|bosnie-herzegovine|bosnie en herzegovina|bosnia y herzegovina
AL ALB albania|albanien|albanie|albanie
MK MKD north macedonia|nordmazedonien|macedoine du nord|noord-macedonie|macedonia del norte
MD MDA moldova|moldau|moldavie|moldavie|moldavia
BY BLR belarus|weissrussland|bielorussie|wit-rusland|bielorrusia
MC MCO monaco|monaco
AD AND andorra|andorre
SM SMR san marino|saint-marin
"""


@functools.cache
def by_name() -> dict[str, str]:
    """Folded name, alpha-2 or alpha-3 code (lower case) -> alpha-2 code."""
    table: dict[str, str] = {}
    for row in _ROWS.strip().splitlines():
        alpha2, alpha3, names = row.split(" ", 2)
        for key in (alpha2, alpha3, *names.split("|")):
            table[key.lower()] = alpha2
    return table


@functools.cache
def alpha2_codes() -> frozenset[str]:
    return frozenset(by_name().values())
