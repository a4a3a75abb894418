"""The demo's data: accounts, organisations, territories, committees, projects and
applications as they are first created. What happens to them afterwards is in `demo.script`.
"""

from committees.models import CommitteeMember
from projects.models import NationalRole, OrganisationKind, Role

K, ROLE = OrganisationKind, CommitteeMember.Role
PASSWORD = "demo-tdi-2026"  # noqa: S105 — shared password of the demo accounts only
SINCE = "2024-12-16 09:00"  # when the accounts, territories and committees are set up
CL, VM = "ti-0052", "ti-0055"
CA_CHAUMONT = "Communauté d'agglomération de Chaumont"
CC_LANGRES = "Communauté de communes du Grand Langres"
CC_COMMERCY = "Communauté de communes du Pays de Commercy"
PREFECTURE = "Préfecture de la Haute-Marne"
PREFECTURE_MEUSE = "Préfecture de la Meuse"
REGION = "Région Grand Est"
DEPARTMENT = "Département de la Haute-Marne"
BDT = "Banque des Territoires"
BPI = "Bpifrance"
FRANCE_TRAVAIL = "France Travail"
CCI = "CCI Haute-Marne"
NOGENTECH = "Nogentech"
METALTECH = "MétalTech – école de production"
FORGES = "Forges du Bassigny SAS"
COMPOSITES = "Composites Haute-Marne"

# Accounts: username, names, what the account shows, memberships (territory, role, organisation).
ACCOUNTS = [
    {
        "username": "coordination",
        "name": ("Claire", "Martin"),
        "description": "Cheffe de projet TI Chaumont-Langres (coordination)",
        "memberships": [(CL, Role.COORDINATOR, CA_CHAUMONT)],
    },
    {
        "username": "porteur",
        "name": ("Julien", "Roussel"),
        "description": "Porteur de projet, Forges du Bassigny (3 projets)",
        "memberships": [(CL, Role.LEAD, FORGES)],
    },
    {
        "username": "porteur2",
        "name": ("Sophie", "Lefèvre"),
        "description": "Porteuse de projet, Composites Haute-Marne (2 projets)",
        "memberships": [(CL, Role.LEAD, COMPOSITES)],
    },
    {
        "username": "membre",
        "name": ("Patrick", "Girard"),
        "description": "Membre du COTECH et du COPIL, CCI Haute-Marne",
        "memberships": [(CL, Role.MEMBER, CCI)],
    },
    {
        "username": "partenaire",
        "name": ("Nadia", "Benali"),
        "description": "Partenaire financeur, Banque des Territoires (deux territoires)",
        "memberships": [(CL, Role.PARTNER, BDT), (VM, Role.PARTNER, BDT)],
    },
    {
        "username": "admin",
        "name": ("Hélène", "Moreau"),
        "description": "ANCT – administration nationale (tous les territoires)",
        "memberships": [],
        "national": NationalRole.ADMIN,
        "superuser": True,
    },
    {
        "username": "national",
        "name": ("Thomas", "Girardin"),
        "description": "DGE – lecture nationale (tous les territoires, sans modification)",
        "memberships": [],
        "national": NationalRole.READER,
    },
    {
        "username": "autre",
        "name": ("Marc", "Lambert"),
        "description": "Coordination du TI Vallée de la Meuse uniquement",
        "memberships": [(VM, Role.COORDINATOR, CC_COMMERCY)],
    },
]

# Bodies shared by the territories: name, kind, eight digits of a fictitious SIREN (companies).
ORGANISATIONS = [
    ("Agence nationale de la cohésion des territoires (ANCT)", K.STATE, ""),
    (REGION, K.REGION, ""),
    (BDT, K.PUBLIC_OPERATOR, ""),
    (BPI, K.PUBLIC_OPERATOR, ""),
    (FRANCE_TRAVAIL, K.PUBLIC_OPERATOR, ""),
    ("ADEME", K.PUBLIC_OPERATOR, ""),
]

# Territories: their coordinator, intercommunalities and own organisations.
TERRITORIES = [
    {
        "code": CL,
        "name": "Chaumont-Langres",
        "prefix": "CL",
        "region": "Grand Est",
        "department": "Haute-Marne",
        "coordinator": "coordination",
        "intercommunalities": [CA_CHAUMONT, CC_LANGRES],
        "organisations": [
            (CA_CHAUMONT, K.EPCI, ""),
            (CC_LANGRES, K.EPCI, ""),
            (PREFECTURE, K.STATE, ""),
            (DEPARTMENT, K.EPCI, ""),
            (CCI, K.CHAMBER, ""),
            (NOGENTECH, K.CLUSTER, ""),
            (METALTECH, K.TRAINING, ""),
            (FORGES, K.COMPANY, "99152001"),
            ("Usinage de précision Nogentais", K.COMPANY, "99152002"),
            (COMPOSITES, K.COMPANY, "99152003"),
            ("Coutellerie Dupré & Fils", K.COMPANY, "99152004"),
            ("Hydrogène Vallée de la Marne", K.COMPANY, "99152005"),
            ("Logistique Chaumontaise", K.COMPANY, "99152006"),
        ],
    },
    {
        "code": VM,
        "name": "Vallée de la Meuse",
        "prefix": "VM",
        "region": "Grand Est",
        "department": "Meuse",
        "coordinator": "autre",
        "intercommunalities": [CC_COMMERCY],
        "organisations": [(CC_COMMERCY, K.EPCI, ""), (PREFECTURE_MEUSE, K.STATE, "")],
    },
]

# Committees by territory: a seat is an account ("user") or a person ("name", "organisation").
COMMITTEES = {
    CL: [
        {
            "kind": "cotech",
            "name": "Comité technique Territoire d'industrie Chaumont-Langres",
            "quorum": 4,
            "members": [
                {"user": "coordination", "role": ROLE.CHAIR},
                {"user": "membre", "role": ROLE.MEMBER},
                {"user": "partenaire", "role": ROLE.MEMBER},
                {"name": "Isabelle Faure", "organisation": PREFECTURE, "role": ROLE.MEMBER},
                {"name": "Thomas Hubert", "organisation": REGION, "role": ROLE.MEMBER},
                {"name": "Laurent Mercier", "organisation": BPI, "role": ROLE.MEMBER},
                {"name": "Vincent Marchal", "organisation": NOGENTECH, "role": ROLE.MEMBER},
                {"name": "Aurélie Colin", "organisation": CA_CHAUMONT, "role": ROLE.MEMBER},
                {"name": "Nicolas Gauthier", "organisation": CC_LANGRES, "role": ROLE.MEMBER},
                {"name": "Émilie Robert", "organisation": CCI, "role": ROLE.SUBSTITUTE},
                {"name": "Sandrine Roche", "organisation": FRANCE_TRAVAIL, "role": ROLE.GUEST},
            ],
        },
        {
            "kind": "copil",
            "name": "Comité de pilotage Territoire d'industrie Chaumont-Langres",
            "quorum": None,
            "members": [
                {"name": "Christine Guillot", "organisation": CA_CHAUMONT, "role": ROLE.CHAIR},
                {"name": "Bernard Vasseur", "organisation": FORGES, "role": ROLE.CO_CHAIR},
                {"name": "Olivier Brunet", "organisation": PREFECTURE, "role": ROLE.MEMBER},
                {"name": "Élise Perrin", "organisation": REGION, "role": ROLE.MEMBER},
                {"user": "partenaire", "role": ROLE.MEMBER},
                {"name": "Frédéric Lemaire", "organisation": BPI, "role": ROLE.MEMBER},
                {"name": "Jean-Marc Thiébaut", "organisation": CC_LANGRES, "role": ROLE.MEMBER},
                {"user": "membre", "role": ROLE.MEMBER},
                {"name": "Hervé Dumont", "organisation": NOGENTECH, "role": ROLE.GUEST},
                {"user": "coordination", "role": ROLE.GUEST},
            ],
        },
        {
            "kind": "other",
            "name": "Comité Local Éducation Économie (CLEE) Chaumont-Langres",
            "quorum": None,
            "members": [
                {"name": "Françoise Garnier", "role": ROLE.CHAIR},
                {"name": "Denis Charpentier", "organisation": METALTECH, "role": ROLE.MEMBER},
                {"name": "Mathieu Noël", "role": ROLE.MEMBER},
                {"user": "membre", "role": ROLE.MEMBER},
                {"name": "Sandrine Roche", "organisation": FRANCE_TRAVAIL, "role": ROLE.MEMBER},
                {"user": "coordination", "role": ROLE.GUEST},
            ],
        },
    ],
    VM: [
        {
            "kind": "cotech",
            "name": "Comité technique Territoire d'industrie Vallée de la Meuse",
            "quorum": 3,
            "members": [
                {"user": "autre", "role": ROLE.CHAIR},
                {"user": "partenaire", "role": ROLE.MEMBER},
                {"name": "Anne Prévost", "organisation": PREFECTURE_MEUSE, "role": ROLE.MEMBER},
                {"name": "Julien Ménard", "organisation": REGION, "role": ROLE.MEMBER},
                {"name": "Catherine Hanus", "organisation": CC_COMMERCY, "role": ROLE.MEMBER},
            ],
        },
        {
            "kind": "copil",
            "name": "Comité de pilotage Territoire d'industrie Vallée de la Meuse",
            "quorum": None,
            "members": [
                {"name": "Gérard Lallemand", "organisation": CC_COMMERCY, "role": ROLE.CHAIR},
                {"name": "Anne Prévost", "organisation": PREFECTURE_MEUSE, "role": ROLE.MEMBER},
                {"name": "Julien Ménard", "organisation": REGION, "role": ROLE.MEMBER},
                {"user": "partenaire", "role": ROLE.MEMBER},
                {"user": "autre", "role": ROLE.GUEST},
            ],
        },
    ],
}

# The session of the AMI Rebond industriel the applications are filed to: the call the
# migrations seed (closed in 2023), opened again for 2026 with the same sections.
CALL = {
    "title": "AMI Rebond industriel",
    "session": "session 2026",
    "dates": ("2026-09-01", "2026-12-18"),
}

# Applications: who files, and their contact (an account, and a fictitious phone number of the
# range the ARCEP keeps for fiction).
APPLICATIONS = {
    "candidature-territoire": {
        "territory": CL,
        "applicant": CA_CHAUMONT,
        "title": "Candidature du Territoire d'industrie Chaumont-Langres à l'AMI Rebond industriel "
        "— session 2026",
        "contact": "coordination",
        "phone": "03 53 73 12 40",
    },
    "dossier-entreprise": {
        "territory": CL,
        "applicant": COMPOSITES,
        "title": "Dossier Bpifrance — Recyclage des chutes de composites carbone "
        "(Composites Haute-Marne)",
        "contact": "porteur2",
        "phone": "03 53 73 20 58",
    },
}

# Projects as their lead first writes them, by the reference the application gives them:
# funding lines (funder, instrument, amount, status; "self" is the lead organisation),
# indicators (kind, target) and milestones (title, due date).
PROJECTS = {
    "CL-2025-001": {
        "title": "Requalification de la friche de l'ancienne fonderie de Chaumont",
        "axis": "land",
        "lead": "Communauté d'agglomération de Chaumont",
        "commune": "Chaumont",
        "epci": "Communauté d'agglomération de Chaumont",
        "dates": ("2025-04-01", "2026-06-30"),
        "cost": 2800000,
        "summary": "Dépolluer et démolir l'ancienne fonderie pour créer 4,5 hectares de terrains prêts à accueillir des entreprises industrielles.",
        "description": "Fermée depuis 2009, la fonderie laissait 12 000 m² de bâtiments dégradés et des sols pollués aux hydrocarbures et aux métaux. L'agglomération a conduit le désamiantage, la démolition et la dépollution, puis viabilisé quatre lots. Un premier lot accueille déjà l'extension d'une entreprise chaumontaise ; deux autres sont réservés.",
        "funding": [
            ("Préfecture de la Haute-Marne", "fonds_vert", 1120000, "paid"),
            ("Région Grand Est", "feder", 840000, "paid"),
            ("Région Grand Est", "grant", 280000, "paid"),
            ("self", "equity", 560000, "paid"),
        ],
        "indicators": [("jobs_created", 80), ("jobs_kept", 40), ("hectares", 4.5)],
        "milestones": [
            ("Fin du désamiantage et de la démolition", "2025-10-31"),
            ("Réception de la viabilisation", "2026-06-30"),
        ],
    },
    "CL-2025-002": {
        "title": "Étude de stratégie foncière industrielle du Grand Langres",
        "axis": "land",
        "lead": "Communauté de communes du Grand Langres",
        "commune": "Langres",
        "epci": "Communauté de communes du Grand Langres",
        "dates": ("2025-03-03", "2025-12-19"),
        "cost": 96000,
        "summary": "Recenser le foncier et l'immobilier industriels disponibles et définir une stratégie d'accueil des entreprises.",
        "description": "Financée au titre des missions d'ingénierie de la Banque des Territoires, l'étude a recensé 38 hectares de foncier mobilisable, dont 11 en friches. Elle propose un programme d'actions priorisé, dont l'extension du parc d'activités de Langres Sud. Ses conclusions ont été présentées aux élus communautaires en janvier 2026.",
        "partners": ["Banque des Territoires"],
        "funding": [
            ("Banque des Territoires", "grant", 48000, "paid"),
            ("Région Grand Est", "grant", 19200, "paid"),
            ("self", "equity", 28800, "paid"),
        ],
        "indicators": [("hectares", 38)],
        "milestones": [("Restitution de l'étude", "2025-12-19")],
    },
    "CL-2025-003": {
        "title": "Ateliers partagés de prototypage Nogentech",
        "axis": "innovation",
        "lead": "Nogentech",
        "commune": "Nogent",
        "epci": "Communauté d'agglomération de Chaumont",
        "dates": ("2025-11-03", "2027-06-30"),
        "cost": 1320000,
        "summary": "Un plateau de prototypage (impression 3D métal, métrologie, essais) ouvert aux PME du cluster.",
        "description": "Les PME du cluster n'ont pas les moyens d'acquérir seules une imprimante 3D métal ni un laboratoire de métrologie. Nogentech aménage un plateau technique partagé dans un bâtiment rénové de Nogent, avec un ingénieur d'application. Les travaux ont révélé des fondations à reprendre, ce qui renchérit le projet.",
        "partners": ["Coutellerie Dupré & Fils", "Usinage de précision Nogentais"],
        "funding": [
            ("Région Grand Est", "feder", 528000, "granted"),
            ("Région Grand Est", "grant", 264000, "granted"),
            ("Département de la Haute-Marne", "grant", 132000, "granted"),
            ("self", "equity", 396000, "granted"),
        ],
        "indicators": [("jobs_created", 3), ("jobs_kept", 15), ("trained", 80)],
        "milestones": [
            ("Désamiantage et curage du bâtiment", "2026-02-27"),
            ("Reprise des fondations", "2026-09-30"),
        ],
    },
    "CL-2025-004": {
        "title": "Récupération de chaleur fatale des fours de forge",
        "axis": "ecological",
        "lead": "Forges du Bassigny SAS",
        "commune": "Bologne",
        "epci": "Communauté d'agglomération de Chaumont",
        "dates": ("2025-09-01", "2027-03-31"),
        "cost": 940000,
        "summary": "Récupérer la chaleur des fumées des fours de réchauffage pour chauffer les ateliers et préchauffer l'air de combustion.",
        "description": "Les fours de réchauffage des lopins rejettent des fumées à plus de 500 °C. Des échangeurs récupèrent cette chaleur pour préchauffer l'air de combustion et alimentent un réseau d'eau chaude qui chauffe les ateliers et les bureaux. La consommation de gaz naturel du site doit baisser d'environ 18 %.",
        "partners": ["ADEME"],
        "lead_users": ["porteur"],
        "funding": [
            ("ADEME", "grant", 376000, "granted"),
            ("Région Grand Est", "grant", 94000, "granted"),
            ("Bpifrance", "loan", 200000, "granted"),
            ("self", "equity", 270000, "granted"),
        ],
        "indicators": [("jobs_created", 2), ("jobs_kept", 62), ("co2", 1450)],
        "milestones": [
            ("Échangeurs installés sur le four n° 1", "2026-04-30"),
            ("Réseau de chauffage des ateliers raccordé", "2026-10-30"),
            ("Mise en service sur le four n° 2", "2027-02-26"),
        ],
    },
    "CL-2025-005": {
        "title": "Extension de l'école de production MétalTech",
        "axis": "skills",
        "lead": "MétalTech – école de production",
        "commune": "Nogent",
        "epci": "Communauté d'agglomération de Chaumont",
        "dates": ("2027-01-04", "2027-08-31"),
        "cost": 1150000,
        "summary": "Doubler la capacité de l'école de production de Nogent, de 24 à 48 élèves, avec un second atelier d'usinage.",
        "description": "Ouverte en 2022, l'école de production MétalTech forme des jeunes de 15 à 18 ans au métier d'usineur en travaillant sur de vraies commandes des industriels. Les demandes d'inscription dépassent les places disponibles. L'extension aménage un second atelier de machines à commande numérique et une salle de cours, pour accueillir de nouveaux élèves à la rentrée de septembre 2027.",
        "partners": ["CCI Haute-Marne", "Communauté d'agglomération de Chaumont", "Nogentech"],
        "funding": [
            ("Région Grand Est", "grant", 400000, "granted"),
            ("Département de la Haute-Marne", "grant", 200000, "granted"),
            ("Communauté d'agglomération de Chaumont", "grant", 150000, "granted"),
            ("self", "equity", 400000, "granted"),
        ],
        "indicators": [("jobs_created", 4), ("jobs_kept", 6), ("trained", 24)],
        "milestones": [
            ("Conventions de financement signées", "2026-09-30"),
            ("Livraison du second atelier", "2027-07-16"),
        ],
    },
    "CL-2025-006": {
        "title": "Renouvellement du parc de tours à commande numérique",
        "axis": "innovation",
        "lead": "Usinage de précision Nogentais",
        "commune": "Nogent",
        "epci": "Communauté d'agglomération de Chaumont",
        "dates": ("2026-09-01", "2027-03-31"),
        "cost": 540000,
        "summary": "Remplacer quatre tours à commande numérique de plus de quinze ans par des machines d'occasion récentes.",
        "description": "L'atelier réalise en petites séries des pièces de précision pour le médical et l'aéronautique. Les tours actuels tombent souvent en panne et retardent les livraisons. L'entreprise souhaite les remplacer par des machines d'occasion récentes, sans modifier son organisation.",
        "funding": [
            ("self", "equity", 240000, "planned"),
            ("Bpifrance", "loan", 300000, "planned"),
        ],
        "indicators": [("jobs_created", 1), ("jobs_kept", 24), ("private_investment", 540000)],
        "milestones": [("Consultation des fournisseurs", "2026-06-30")],
    },
    "CL-2026-001": {
        "title": "Recyclage des chutes de composites carbone",
        "axis": "ecological",
        "lead": "Composites Haute-Marne",
        "commune": "Chaumont",
        "epci": "Communauté d'agglomération de Chaumont",
        "dates": ("2027-01-04", "2027-12-17"),
        "cost": 1480000,
        "summary": "Installer une ligne pilote de broyage et de réemploi des chutes de fibres de carbone issues de la production.",
        "description": "L'entreprise envoie chaque année près de 60 tonnes de chutes de préimprégnés en centre d'enfouissement. La ligne pilote les broie et les réintroduit sous forme de fibres courtes dans des pièces non structurelles. Le procédé a été mis au point avec un laboratoire partenaire du cluster Nogentech ; la Région n'a pas encore été sollicitée pour le solde du plan de financement.",
        "partners": ["ADEME", "Nogentech"],
        "lead_users": ["porteur2"],
        "funding": [
            ("ADEME", "grant", 420000, "requested"),
            ("Bpifrance", "france2030", 380000, "requested"),
            ("self", "equity", 480000, "granted"),
        ],
        "indicators": [("jobs_created", 6), ("jobs_kept", 110), ("co2", 180)],
        "milestones": [
            ("Essais de broyage validés", "2026-05-29"),
            ("Commande de la ligne pilote", "2027-01-29"),
        ],
    },
    "CL-2026-002": {
        "title": "Centre d'usinage 5 axes mutualisé",
        "axis": "innovation",
        "lead": "Usinage de précision Nogentais",
        "commune": "Nogent",
        "epci": "Communauté d'agglomération de Chaumont",
        "dates": ("2027-01-04", "2027-09-30"),
        "cost": 780000,
        "summary": "Acquérir un centre d'usinage 5 axes partagé avec deux sous-traitants du bassin nogentais.",
        "description": "Trois ateliers de mécanique de précision refusent des commandes faute de capacité en usinage 5 axes. Le centre, installé chez Usinage de précision Nogentais, serait exploité en temps partagé selon une convention entre les entreprises. Un programmeur-régleur serait recruté et formé.",
        "funding": [
            ("self", "equity", 312000, "planned"),
            ("Bpifrance", "france2030", 234000, "planned"),
            ("Région Grand Est", "grant", 156000, "planned"),
            ("Bpifrance", "loan", 78000, "planned"),
        ],
        "indicators": [("jobs_created", 3), ("jobs_kept", 24), ("private_investment", 312000)],
        "milestones": [("Signature de la convention de temps partagé", "2026-10-30")],
    },
    "CL-2026-003": {
        "title": "Extension du parc d'activités de Langres Sud",
        "axis": "land",
        "lead": "Communauté de communes du Grand Langres",
        "commune": "Langres",
        "epci": "Communauté de communes du Grand Langres",
        "dates": ("2027-04-01", "2028-09-29"),
        "cost": 2400000,
        "summary": "Aménager 9 hectares supplémentaires pour accueillir des entreprises industrielles à proximité de l'A31.",
        "description": "Le parc d'activités existant est entièrement commercialisé et trois industriels ont exprimé un besoin de terrain. L'extension comprend la viabilisation de 9 ha, une voirie adaptée aux poids lourds et la gestion des eaux pluviales par noues. Le découpage en lots denses et mutualisés limite la consommation de foncier.",
        "funding": [
            ("Préfecture de la Haute-Marne", "detr", 600000, "planned"),
            ("Région Grand Est", "grant", 480000, "planned"),
            ("Région Grand Est", "feder", 720000, "planned"),
            ("self", "equity", 600000, "planned"),
        ],
        "indicators": [("jobs_created", 60), ("jobs_kept", 25), ("hectares", 9)],
        "milestones": [("Acquisition des dernières parcelles", "2027-02-26")],
    },
    "CL-2026-004": {
        "title": "Parcours de formation d'opérateurs composites",
        "axis": "skills",
        "lead": "Composites Haute-Marne",
        "commune": "Chaumont",
        "epci": "Communauté d'agglomération de Chaumont",
        "dates": ("2027-02-01", "2028-06-30"),
        "cost": 186000,
        "summary": "Former et recruter douze opérateurs de moulage composite avec France Travail, par une préparation opérationnelle à l'emploi collective.",
        "description": "L'entreprise peine à recruter des opérateurs de drapage et de moulage, des métiers peu connus des demandeurs d'emploi. Le parcours associe 400 heures de formation, un tutorat en atelier et l'aménagement d'une salle de formation. Les candidats seront repérés avec France Travail et lors des forums du CLEE.",
        "partners": ["France Travail"],
        "lead_users": ["porteur2"],
        "funding": [
            ("France Travail", "other", 72000, "planned"),
            ("Région Grand Est", "grant", 56000, "planned"),
            ("self", "equity", 58000, "planned"),
        ],
        "indicators": [("jobs_created", 12), ("jobs_kept", 85), ("trained", 24)],
        "milestones": [("Réunion d'information collective avec France Travail", "2027-01-20")],
    },
    "CL-2026-005": {
        "title": "Station hydrogène vert de Chaumont",
        "axis": "ecological",
        "lead": "Hydrogène Vallée de la Marne",
        "commune": "Chaumont",
        "epci": "Communauté d'agglomération de Chaumont",
        "dates": ("2027-03-01", "2028-06-30"),
        "cost": 3600000,
        "summary": "Produire par électrolyse et distribuer de l'hydrogène vert pour les poids lourds et les engins des industriels.",
        "description": "La station comprend un électrolyseur de 1 MW alimenté par un contrat d'électricité renouvelable et une distribution à 350 et 700 bars. Les premiers clients sont des transporteurs et la flotte de bennes de l'agglomération. À pleine charge, le projet doit éviter environ 1 200 tonnes de CO2 par an.",
        "partners": ["ADEME", "Communauté d'agglomération de Chaumont", "Logistique Chaumontaise"],
        "funding": [
            ("ADEME", "grant", 1200000, "planned"),
            ("Bpifrance", "france2030", 900000, "planned"),
            ("Banque des Territoires", "equity", 600000, "planned"),
            ("self", "equity", 900000, "planned"),
        ],
        "indicators": [("jobs_created", 8), ("co2", 1200)],
        "milestones": [("Autorisation environnementale obtenue", "2027-01-29")],
    },
    "CL-2026-006": {
        "title": "Modernisation de l'atelier de la coutellerie Dupré",
        "axis": "innovation",
        "lead": "Coutellerie Dupré & Fils",
        "commune": "Nogent",
        "epci": "Communauté d'agglomération de Chaumont",
        "dates": ("2027-02-01", "2027-12-17"),
        "cost": 860000,
        "summary": "Remplacer les affûteuses manuelles par un centre d'affûtage à commande numérique et moderniser l'atelier de polissage.",
        "description": "Installée à Nogent depuis quatre générations, la coutellerie fabrique des couteaux professionnels et des instruments chirurgicaux. Le centre d'affûtage numérique et une cabine de polissage aspirée amélioreront la régularité des lames et les conditions de travail. L'entreprise vise de nouveaux marchés dans l'instrumentation médicale.",
        "partners": ["Nogentech"],
        "funding": [
            ("self", "equity", 344000, "planned"),
            ("Bpifrance", "advance", 260000, "planned"),
            ("Région Grand Est", "grant", 170000, "planned"),
            ("Bpifrance", "loan", 86000, "planned"),
        ],
        "indicators": [("jobs_created", 5), ("jobs_kept", 38), ("private_investment", 344000)],
        "milestones": [("Commande du centre d'affûtage", "2027-02-26")],
    },
    "CL-2026-007": {
        "title": "Plateforme logistique mutualisée pour les PME industrielles",
        "axis": "other",
        "lead": "Logistique Chaumontaise",
        "commune": "Chaumont",
        "epci": "Communauté d'agglomération de Chaumont",
        "dates": ("2027-01-18", "2028-03-31"),
        "cost": 2150000,
        "summary": "Un entrepôt de 6 000 m² partagé entre PME industrielles pour le stockage, la préparation des commandes et les expéditions groupées.",
        "description": "Plusieurs PME du bassin chaumontais louent des stockages dispersés et expédient en petits lots. L'entrepôt mutualisé, construit sur une parcelle déjà artificialisée, regroupe ces flux et réduit le nombre de camions partiellement chargés. Il sera desservi par la future station hydrogène.",
        "partners": ["CCI Haute-Marne", "Nogentech"],
        "funding": [
            ("self", "equity", 650000, "granted"),
            ("Banque des Territoires", "loan", 900000, "requested"),
            ("Région Grand Est", "grant", 300000, "requested"),
            ("Bpifrance", "loan", 300000, "requested"),
        ],
        "indicators": [("jobs_created", 12), ("jobs_kept", 30), ("hectares", 1.8)],
        "milestones": [("Dépôt du permis de construire", "2026-12-18")],
    },
    "CL-2026-008": {
        "title": "Académie des métiers de la forge",
        "axis": "skills",
        "lead": "Forges du Bassigny SAS",
        "commune": "Bologne",
        "epci": "Communauté d'agglomération de Chaumont",
        "dates": ("2027-01-04", "2028-07-31"),
        "cost": 420000,
        "summary": "Créer un centre de formation interne pour former chaque année dix forgerons et régleurs de presses.",
        "description": "Près d'un tiers des forgerons de l'entreprise partiront à la retraite d'ici 2030. L'académie transforme un bâtiment inoccupé en plateau de formation équipé d'une presse-école, pour des demandeurs d'emploi et des apprentis formés avec MétalTech. Les formateurs sont des salariés expérimentés, en partie déchargés de la production.",
        "partners": ["France Travail", "MétalTech – école de production"],
        "lead_users": ["porteur"],
        "funding": [
            ("self", "equity", 170000, "planned"),
            ("Région Grand Est", "grant", 150000, "planned"),
            ("Département de la Haute-Marne", "grant", 60000, "planned"),
            ("France Travail", "other", 40000, "planned"),
        ],
        "indicators": [("jobs_created", 6), ("jobs_kept", 20), ("trained", 40)],
        "milestones": [("Signature de la convention avec MétalTech", "2026-12-31")],
    },
    "CL-2026-009": {
        "title": "Robotisation de la ligne d'estampage",
        "axis": "innovation",
        "lead": "Forges du Bassigny SAS",
        "commune": "Bologne",
        "epci": "Communauté d'agglomération de Chaumont",
        "dates": ("2027-01-18", "2027-12-17"),
        "cost": 1250000,
        "summary": "Installer deux cellules robotisées de chargement des presses d'estampage à chaud.",
        "description": "Le chargement manuel des lopins portés à 1 200 °C expose les opérateurs à la chaleur et aux troubles musculo-squelettiques. Deux cellules robotisées sécuriseront ces postes et augmenteront la cadence de 20 %. Les opérateurs concernés seront formés à la conduite et à la maintenance des cellules.",
        "lead_users": ["porteur"],
        "funding": [
            ("self", "equity", 500000, "planned"),
            ("Bpifrance", "france2030", 375000, "planned"),
            ("Région Grand Est", "grant", 250000, "planned"),
            ("Bpifrance", "loan", 125000, "planned"),
        ],
        "indicators": [("jobs_created", 4), ("jobs_kept", 62), ("private_investment", 500000)],
        "milestones": [
            ("Choix de l'intégrateur robotique", "2026-12-18"),
            ("Mise en service de la première cellule", "2027-06-30"),
        ],
    },
    "CL-2026-010": {
        "title": "Plateforme apprentissage et recrutement dans l'industrie",
        "axis": "skills",
        "lead": "France Travail",
        "commune": "Chaumont",
        "epci": "Communauté d'agglomération de Chaumont",
        "dates": ("2027-01-04", "2028-12-29"),
        "cost": 240000,
        "summary": "Une plateforme commune aux industriels, à France Travail et au CLEE pour publier les offres d'apprentissage et organiser les visites d'entreprises.",
        "description": "Les offres d'apprentissage et de stage des industriels sont aujourd'hui dispersées. La plateforme les centralise, avec les visites d'entreprises et les journées de l'industrie organisées avec le CLEE dans les collèges et lycées. Un chargé de mission animera le réseau des entreprises pendant deux ans.",
        "partners": ["CCI Haute-Marne", "MétalTech – école de production", "Nogentech"],
        "funding": [
            ("Banque des Territoires", "grant", 80000, "planned"),
            ("self", "other", 60000, "planned"),
            ("Région Grand Est", "grant", 60000, "planned"),
            ("Communauté d'agglomération de Chaumont", "grant", 40000, "planned"),
        ],
        "indicators": [("jobs_created", 40), ("trained", 150)],
        "milestones": [("Mise en ligne de la plateforme", "2027-04-30")],
    },
    "CL-2026-011": {
        "title": "Centrale photovoltaïque en toiture des ateliers de coutellerie",
        "axis": "ecological",
        "lead": "Coutellerie Dupré & Fils",
        "commune": "Nogent",
        "epci": "Communauté d'agglomération de Chaumont",
        "dates": ("2027-03-01", "2027-10-29"),
        "cost": 380000,
        "summary": "Couvrir les 4 200 m² de toiture des ateliers de Nogent de panneaux photovoltaïques pour l'autoconsommation.",
        "description": "La coutellerie consomme près de 900 MWh par an, surtout pour la trempe et le polissage. Une centrale de 450 kWc en toiture couvrirait environ 40 % de ses besoins en électricité. L'entreprise étudie encore le désamiantage préalable d'une partie de la toiture.",
        "funding": [
            ("self", "equity", 190000, "planned"),
            ("Bpifrance", "loan", 150000, "planned"),
        ],
        "indicators": [("jobs_created", 1), ("jobs_kept", 38), ("co2", 45)],
        "milestones": [("Étude de structure de la toiture", "2027-01-29")],
    },
    "VM-2026-001": {
        "title": "Requalification de la friche industrielle du quai de Commercy",
        "axis": "land",
        "lead": "Communauté de communes du Pays de Commercy",
        "commune": "Commercy",
        "epci": "Communauté de communes du Pays de Commercy",
        "dates": ("2027-03-01", "2027-12-17"),
        "cost": 1650000,
        "summary": "Démolir et dépolluer une friche de 3,2 hectares en bord de Meuse pour accueillir des ateliers industriels.",
        "description": "L'ancienne usine de tréfilerie est inoccupée depuis 2015. La communauté de communes l'a acquise et engage la démolition, la dépollution et la viabilisation de trois lots. Un sous-traitant automobile du territoire s'est porté candidat pour le premier lot.",
        "funding": [
            ("Préfecture de la Meuse", "fonds_vert", 660000, "granted"),
            ("Région Grand Est", "feder", 660000, "granted"),
            ("self", "equity", 330000, "granted"),
        ],
        "indicators": [("jobs_created", 30), ("hectares", 3.2)],
        "milestones": [("Arrêté de financement Fonds vert notifié", "2026-10-16")],
    },
    "VM-2026-002": {
        "title": "Atelier-relais industriel de Commercy",
        "axis": "land",
        "lead": "Communauté de communes du Pays de Commercy",
        "commune": "Commercy",
        "epci": "Communauté de communes du Pays de Commercy",
        "dates": ("2026-09-01", "2027-10-29"),
        "cost": 1100000,
        "summary": "Construire un bâtiment industriel de 2 000 m² loué à une entreprise avec option d'achat.",
        "description": "L'atelier-relais devait permettre à un fabricant de menuiseries de s'implanter sans immobiliser ses fonds propres. Le bâtiment aurait été loué avec une option d'achat au terme de douze ans.",
        "funding": [
            ("Préfecture de la Meuse", "detr", 330000, "requested"),
            ("Région Grand Est", "grant", 220000, "requested"),
            ("Banque des Territoires", "loan", 330000, "requested"),
            ("self", "equity", 220000, "granted"),
        ],
        "indicators": [("jobs_created", 15), ("hectares", 0.5)],
        "milestones": [("Dépôt du permis de construire", "2026-07-31")],
    },
    "VM-2026-003": {
        "title": "Diagnostics énergétiques des PME du Pays de Commercy",
        "axis": "ecological",
        "lead": "Communauté de communes du Pays de Commercy",
        "commune": "Commercy",
        "epci": "Communauté de communes du Pays de Commercy",
        "dates": ("2027-01-04", "2027-12-17"),
        "cost": 75000,
        "summary": "Financer un diagnostic énergétique pour vingt PME industrielles du Pays de Commercy.",
        "description": "Les petites entreprises industrielles connaissent mal leurs consommations d'énergie. La communauté de communes propose de financer un diagnostic par un bureau d'études et un plan d'actions pour chacune d'elles.",
        "funding": [
            ("Région Grand Est", "grant", 37500, "planned"),
            ("self", "equity", 37500, "planned"),
        ],
        "indicators": [("jobs_kept", 350), ("co2", 300)],
        "milestones": [("Appel à candidatures des entreprises", "2027-02-26")],
    },
}
