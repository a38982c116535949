"""Vocabularies of the languages synthetic documents are written in (EN, DE, FR, NL, ES).

Only what any kind of document needs: month names, the country a writer lives in
(cities, streets, company forms, people's names, phone and VAT-id shapes, IBAN
country), the goods and services people bill and pay for, and the date and number
styles the country writes. Labels of one kind of document (an invoice's "Due date",
a bank export's column names) belong to that document's generator in its plugin.
Every string is representable in windows-1252, so any of them can go into a
cp1252 CSV or a PDF in a standard font.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class Language:
    code: str
    #: "Land" of the writer: ISO 3166 code, used for IBANs and VAT ids.
    country: str
    months: tuple[str, ...]
    #: Date styles (keys of ``formats.DATE_STYLES``) the country writes, most usual first.
    date_styles: tuple[str, ...]
    #: Number styles (keys of ``formats.NUMBER_STYLES``), most usual first.
    number_styles: tuple[str, ...]
    currency: str
    first_names: tuple[str, ...]
    last_names: tuple[str, ...]
    #: Words a company name is built from ("Nordlicht", "Consulting") and its legal forms.
    trades: tuple[str, ...]
    company_words: tuple[str, ...]
    company_forms: tuple[str, ...]
    streets: tuple[str, ...]
    #: (postcode, city) pairs.
    cities: tuple[tuple[str, str], ...]
    #: How an address is written: "{street} {no}" or "{no} {street}".
    street_order: str
    goods: tuple[str, ...]
    services: tuple[str, ...]
    country_name: str


EN = Language(
    code="en",
    country="GB",
    months=("January", "February", "March", "April", "May", "June", "July", "August", "September",
            "October", "November", "December"),
    date_styles=("dmy_slash", "long", "iso", "short_month"),
    number_styles=("en", "plain_dot"),
    currency="GBP",
    first_names=("Oliver", "Amelia", "George", "Isla", "Harry", "Emily", "Jack", "Sophie", "Thomas", "Grace"),
    last_names=("Smith", "Jones", "Taylor", "Brown", "Wilson", "Evans", "Walker", "Wright", "Hughes", "Clarke"),
    trades=("Consulting", "Engineering", "Logistics", "Design", "Plumbing", "Software", "Catering",
            "Print", "Electrical", "Media"),
    company_words=("Blue Harbour", "Northgate", "Redwood", "Silverline", "Oakfield", "Kingsbridge",
                   "Brightwater", "Ashford", "Greenway", "Summit"),
    company_forms=("Ltd", "Limited", "LLP", "plc", "& Co."),
    streets=("High Street", "Station Road", "Church Lane", "Victoria Road", "Mill Lane", "Park Avenue",
             "King Street", "Queensway"),
    cities=(("EC1A 1BB", "London"), ("M1 1AE", "Manchester"), ("B1 1AA", "Birmingham"),
            ("LS1 4AP", "Leeds"), ("BS1 5TR", "Bristol"), ("EH1 1YZ", "Edinburgh")),
    street_order="{no} {street}",
    goods=("Office chair", "USB-C cable 2 m", "Printer toner black", "Laptop stand", "A4 paper (5 reams)",
           "Wireless keyboard", "Monitor 27 inch", "Safety boots"),
    services=("Consulting services", "Website maintenance", "Annual software licence", "Travel expenses",
              "Hosting package L", "Bookkeeping (monthly)", "Installation and set-up", "Design work"),
    country_name="United Kingdom",
)

EN_US = Language(
    code="en",
    country="US",
    months=EN.months,
    date_styles=("mdy_slash", "long_us", "iso"),
    number_styles=("en", "plain_dot"),
    currency="USD",
    first_names=("James", "Mary", "Robert", "Jennifer", "Michael", "Linda", "David", "Susan", "Daniel", "Karen"),
    last_names=("Johnson", "Williams", "Miller", "Davis", "Garcia", "Martinez", "Anderson", "Moore", "Lee", "Harris"),
    trades=EN.trades,
    company_words=("Pioneer", "Lakeside", "Evergreen", "Liberty", "Cedar Point", "Golden Gate", "Frontier",
                   "Riverbend", "Highland", "Union"),
    company_forms=("Inc.", "LLC", "Corp.", "Co."),
    streets=("Main Street", "Oak Avenue", "Maple Drive", "Elm Street", "Washington Blvd", "Pine Road"),
    cities=(("IL 62701", "Springfield"), ("TX 78701", "Austin"), ("CO 80202", "Denver"),
            ("OR 97204", "Portland"), ("MA 02108", "Boston"), ("WA 98101", "Seattle")),
    street_order="{no} {street}",
    goods=EN.goods,
    services=EN.services,
    country_name="USA",
)

DE = Language(
    code="de",
    country="DE",
    months=("Januar", "Februar", "März", "April", "Mai", "Juni", "Juli", "August", "September", "Oktober",
            "November", "Dezember"),
    date_styles=("dmy_dot", "long", "iso"),
    number_styles=("de", "plain_comma"),
    currency="EUR",
    first_names=("Lukas", "Anna", "Jonas", "Marie", "Felix", "Sophie", "Paul", "Lena", "Jürgen", "Sabine"),
    last_names=("Müller", "Schmidt", "Schneider", "Fischer", "Weber", "Meyer", "Wagner", "Becker", "Schulz",
                "Hoffmann"),
    trades=("Beratung", "Haustechnik", "Logistik", "Gebäudereinigung", "Elektrotechnik", "Software",
            "Druckerei", "Metallbau", "Medien", "Bedachungen"),
    company_words=("Nordlicht", "Bergmann", "Sonnenschein", "Rheinland", "Alpenblick", "Hansa",
                   "Weißdorn", "Lindenhof", "Eichenwald", "Sternberg"),
    company_forms=("GmbH", "GmbH & Co. KG", "AG", "e.K.", "KG", "UG (haftungsbeschränkt)"),
    streets=("Hauptstraße", "Bahnhofstraße", "Gartenweg", "Schillerstraße", "Lindenallee", "Am Markt",
             "Goethestraße", "Industriestraße"),
    cities=(("10115", "Berlin"), ("80331", "München"), ("50667", "Köln"), ("20095", "Hamburg"),
            ("60311", "Frankfurt am Main"), ("04109", "Leipzig")),
    street_order="{street} {no}",
    goods=("Bürostuhl", "Druckerpatrone schwarz", "Kopierpapier A4", "Schrauben M6 (100 Stück)", "Monitor 27 Zoll",
           "Arbeitshandschuhe", "Heizkörperventil", "Kabelkanal 2 m"),
    services=("Beratungsleistung", "Wartung Heizungsanlage", "Montage und Installation", "Softwarelizenz (Jahr)",
              "Fahrtkosten", "Webhosting Paket M", "Buchhaltung (monatlich)", "Reinigung Büroräume"),
    country_name="Deutschland",
)

FR = Language(
    code="fr",
    country="FR",
    months=("janvier", "février", "mars", "avril", "mai", "juin", "juillet", "août", "septembre", "octobre",
            "novembre", "décembre"),
    date_styles=("dmy_slash", "long", "iso"),
    number_styles=("fr", "plain_comma"),
    currency="EUR",
    first_names=("Camille", "Louis", "Léa", "Hugo", "Chloé", "Jules", "Manon", "Gabriel", "Élodie", "Nicolas"),
    last_names=("Martin", "Bernard", "Dubois", "Thomas", "Robert", "Richard", "Petit", "Durand", "Leroy", "Moreau"),
    trades=("Conseil", "Bâtiment", "Transports", "Informatique", "Nettoyage", "Imprimerie", "Électricité",
            "Traiteur", "Menuiserie", "Communication"),
    company_words=("Atelier Dupont", "Les Jardins de Provence", "Boulangerie Rivière", "Horizon", "Azur",
                   "Val de Loire", "Lumière", "Bel Air", "Château Vert", "Océane"),
    company_forms=("SARL", "SAS", "SA", "EURL", "SASU"),
    streets=("rue de la Paix", "avenue Victor Hugo", "boulevard Voltaire", "rue du Moulin", "place de la Mairie",
             "chemin des Vignes", "rue Pasteur", "allée des Tilleuls"),
    cities=(("75002", "Paris"), ("69001", "Lyon"), ("13001", "Marseille"), ("33000", "Bordeaux"),
            ("44000", "Nantes"), ("31000", "Toulouse")),
    street_order="{no} {street}",
    goods=("Chaise de bureau", "Cartouche d'encre noire", "Ramette papier A4", "Câble HDMI 2 m", "Écran 27 pouces",
           "Gants de travail", "Vis inox (boîte de 100)", "Lampe de bureau"),
    services=("Prestation de conseil", "Maintenance du site web", "Licence logicielle annuelle", "Frais de déplacement",
              "Hébergement web", "Installation et mise en service", "Tenue de comptabilité", "Nettoyage des locaux"),
    country_name="France",
)

NL = Language(
    code="nl",
    country="NL",
    months=("januari", "februari", "maart", "april", "mei", "juni", "juli", "augustus", "september", "oktober",
            "november", "december"),
    date_styles=("dmy_dash", "long", "iso", "dmy_slash"),
    number_styles=("de", "plain_comma"),
    currency="EUR",
    first_names=("Daan", "Emma", "Sem", "Julia", "Lucas", "Sanne", "Thijs", "Fleur", "Bram", "Anouk"),
    last_names=("de Jong", "Jansen", "de Vries", "van den Berg", "Bakker", "Visser", "Smit", "Meijer", "de Boer",
                "Mulder"),
    trades=("Installatietechniek", "Advies", "Transport", "Schoonmaak", "Bouw", "Drukkerij", "ICT",
            "Schilderwerken", "Catering", "Elektro"),
    company_words=("Van den Berg", "De Molen", "Noorderlicht", "Zonnebloem", "Het Anker", "Polderland",
                   "De Gouden Leeuw", "Tulp", "Waterweg", "Duinzicht"),
    company_forms=("B.V.", "N.V.", "V.O.F.", "Holding B.V."),
    streets=("Keizersgracht", "Dorpsstraat", "Kerkstraat", "Stationsweg", "Molenweg", "Prinsengracht",
             "Julianalaan", "Havenkade"),
    cities=(("1012 AB", "Amsterdam"), ("3011 AD", "Rotterdam"), ("3511 LN", "Utrecht"), ("2511 CV", "Den Haag"),
            ("5611 AZ", "Eindhoven"), ("9711 LM", "Groningen")),
    street_order="{street} {no}",
    goods=("Bureaustoel", "Inktcartridge zwart", "Printpapier A4", "Beeldscherm 27 inch", "Werkhandschoenen",
           "Kabelgoot 2 m", "Schroeven (doos 100 st.)", "Bureaulamp"),
    services=("Advieswerkzaamheden", "Onderhoud website", "Softwarelicentie (jaar)", "Reiskosten",
              "Hosting pakket M", "Installatie en montage", "Boekhouding (maand)", "Schoonmaak kantoor"),
    country_name="Nederland",
)

ES = Language(
    code="es",
    country="ES",
    months=("enero", "febrero", "marzo", "abril", "mayo", "junio", "julio", "agosto", "septiembre", "octubre",
            "noviembre", "diciembre"),
    date_styles=("dmy_slash", "long", "dmy_dash", "iso"),
    number_styles=("de", "plain_comma"),
    currency="EUR",
    first_names=("Lucía", "Hugo", "Martina", "Pablo", "Sofía", "Álvaro", "Carmen", "Javier", "Elena", "Diego"),
    last_names=("García", "Fernández", "González", "Rodríguez", "López", "Martínez", "Sánchez", "Pérez",
                "Gómez", "Ruiz"),
    trades=("Consultoría", "Construcciones", "Transportes", "Informática", "Limpiezas", "Imprenta",
            "Instalaciones", "Reformas", "Asesoría", "Distribuciones"),
    company_words=("Iberia Sur", "Costa Azul", "Sierra Nevada", "El Olivar", "Mediterráneo", "Puerta del Sol",
                   "Levante", "Nueva Castilla", "Torre Blanca", "Río Verde"),
    company_forms=("S.L.", "S.A.", "S.L.U.", "S.Coop."),
    streets=("Calle Mayor", "Avenida de la Constitución", "Calle del Sol", "Paseo de Gracia", "Calle Real",
             "Plaza de España", "Calle Alcalá", "Camino Viejo"),
    cities=(("28013", "Madrid"), ("08002", "Barcelona"), ("41001", "Sevilla"), ("46001", "Valencia"),
            ("48001", "Bilbao"), ("29001", "Málaga")),
    street_order="{street}, {no}",
    goods=("Silla de oficina", "Cartucho de tinta negro", "Papel A4 (5 paquetes)", "Monitor de 27 pulgadas",
           "Guantes de trabajo", "Cable HDMI 2 m", "Tornillos (caja de 100)", "Lámpara de escritorio"),
    services=("Servicios de consultoría", "Mantenimiento web", "Licencia de software anual", "Gastos de desplazamiento",
              "Alojamiento web", "Instalación y puesta en marcha", "Asesoría contable mensual", "Limpieza de oficinas"),
    country_name="España",
)

#: The five languages, one writer country each (English also written US-style: ``EN_US``).
LANGUAGES: dict[str, Language] = {"en": EN, "de": DE, "fr": FR, "nl": NL, "es": ES}
#: Every variant a generator may pick from.
VARIANTS: tuple[Language, ...] = (EN, EN_US, DE, FR, NL, ES)
