"""A codebook for the 9 NHS patient-feedback themes, written from the theme and sub-theme NAMES only.

Definitions, inclusion criteria, example phrasings and patterns are our own wording of the
label/subcategory names in ``nhs-patient-feedback.csv``; no labelled comment was read to write them.
"""

from __future__ import annotations

NHS_CODES: list[dict[str, object]] = [
    {"id": "access", "name": "Access",
     "definition": "Getting access to the service: whether the service is provided at all, how long people "
                   "wait for a first appointment, referral or service, and between appointments, and where it is located.",
     "include": "Waiting times, waiting lists, delays in referral, difficulty getting an appointment, "
                "availability of the service, opening hours, location and distance.",
     "examples": ["I waited months for my first appointment.", "It took far too long to get a referral.",
                  "Appointments should be more frequent, the gap between them is too long.",
                  "The service should be available in the evenings and at weekends.",
                  "The clinic is too far away from where I live."],
     "patterns": ["wait*", "waiting list", "appointment*", "referral", "sooner", "quicker", "delay*"]},
    {"id": "care", "name": "Care received",
     "definition": "The care and treatment the patient received: the approach to care, advice and support, "
                   "therapies, activities, one-to-one time, medication, physical and emotional care, carer "
                   "support, and whether it made a difference to their life.",
     "include": "Comments about treatment, therapy, support, help, advice, medication, groups and activities, "
                "or the overall care and its effect on the patient's life.",
     "examples": ["The care I received was excellent.", "The therapy has really helped me cope.",
                  "I was given good advice and support.", "There should be more activities on the ward.",
                  "My medication was reviewed regularly.", "This service has made a real difference to my life.",
                  "More one to one time with my worker would help."],
     "patterns": ["care", "treatment", "therapy", "support", "help*", "advice", "medication", "activit*"]},
    {"id": "communication", "name": "Communication",
     "definition": "How the service communicates: the amount and clarity of information given, keeping "
                   "people informed, and listening to patients.",
     "include": "Information, explanations, being kept updated, letters and phone calls, being listened to.",
     "examples": ["Everything was explained clearly to me.", "Nobody told me what was happening.",
                  "Better communication between staff and patients.", "They really listened to me.",
                  "I would like more information about my treatment."],
     "patterns": ["communicat*", "inform*", "explain*", "listen*", "told", "letter*", "phone call*"]},
    {"id": "no_improvement", "name": "Couldn't be improved",
     "definition": "The patient says nothing needs to be improved or changed.",
     "include": "Answers such as nothing, no, none, nothing to improve, can't think of anything, keep it as it is.",
     "examples": ["Nothing.", "Nothing to improve.", "No, it was all fine.", "I can't think of anything.",
                  "Nothing, keep up the good work.", "N/A"],
     "patterns": ["nothing", "none", "n/a", "can't think", "no improvement*"]},
    {"id": "dignity", "name": "Dignity",
     "definition": "Being treated with dignity and respect: respect for diversity, person-centred care, "
                   "involvement of patients and of family and carers in decisions, and feeling safe, "
                   "including from bullying.",
     "include": "Respect, dignity, being treated as a person, being involved in decisions, family involvement, "
                "privacy, feeling safe or unsafe, bullying.",
     "examples": ["I was treated with dignity and respect.", "They involved my family in my care.",
                  "I was included in decisions about my care plan.", "I did not feel safe on the ward.",
                  "They treated me as a person, not a number."],
     "patterns": ["dignity", "respect*", "involve*", "safe", "bully*", "privacy"]},
    {"id": "environment", "name": "Environment/ facilities",
     "definition": "The physical environment and facilities: buildings, rooms, equipment, food, "
                   "cleanliness, parking and transport.",
     "include": "Wards, waiting rooms, decoration, temperature, noise, equipment, meals and food, "
                "cleanliness, car parking and transport.",
     "examples": ["The ward was clean and tidy.", "The food was terrible.", "Parking is a nightmare.",
                  "The waiting room needs redecorating.", "Better equipment and facilities."],
     "patterns": ["food", "clean*", "parking", "building", "room", "ward", "facilit*", "equipment"]},
    {"id": "misc", "name": "Miscellaneous",
     "definition": "Other comments that fit no theme: everything was good or bad in general, leave under "
                   "the Mental Health Act, funding, comments about the survey itself, and nothing was good.",
     "include": "General praise or complaint without detail, funding and money, leave, the questionnaire itself.",
     "examples": ["Everything was good.", "It was all bad.", "More funding for the service.",
                  "I don't know.", "This survey is pointless.", "Nothing was good."],
     "patterns": ["everything", "funding", "money", "survey", "leave"]},
    {"id": "staff", "name": "Staff",
     "definition": "The staff: their attitude, kindness and manner, their professionalism and competence, "
                   "and staffing levels.",
     "include": "Doctors, nurses and other staff being friendly, caring, rude, helpful, professional or "
                "competent; too few staff.",
     "examples": ["The staff were very friendly and helpful.", "The nurses were kind and caring.",
                  "The doctor was rude.", "Very professional staff.", "They need more staff."],
     "patterns": ["staff", "nurse*", "doctor*", "friendly", "kind", "rude", "professional", "polite"]},
    {"id": "transition", "name": "Transition/coordination",
     "definition": "Moving between and within services: consistency and continuity of care, transition "
                   "and discharge, and coordination and integration of care between teams.",
     "include": "Seeing the same worker, changes of staff, discharge, transfer between services, teams "
                "working together, follow-up after discharge.",
     "examples": ["I kept seeing a different doctor every time.", "My discharge was well planned.",
                  "The teams did not talk to each other.", "There was no follow-up after I left hospital.",
                  "Continuity of care with the same nurse."],
     "patterns": ["discharge*", "continuity", "same person", "different doctor", "transfer*", "follow up",
                  "coordinat*"]},
]


def nhs_codebook() -> "object":
    """The codebook as a real :class:`cop_analysis.codebook.Codebook`."""
    from cop_analysis.codebook import Codebook

    return Codebook.from_dict({"name": "NHS patient feedback themes", "codes": NHS_CODES})
