"""The demo organization's story: who its people are and what they say, apart from how the builder
turns it into rows (reachimpact.demo.builder).

Everything here is fiction: names drawn at random, reserved example e-mail domains, and conversations,
call transcripts and campaign scripts written for the demo. `{first}`, `{agent}` and `{org}` are filled
in by the builder; `{first_name}` and `{agent}` in a campaign's script by the dialer, as in any campaign.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

DEMO_ORG_NAME = "Demo Campaign HQ"
DEMO_USER_NAME = "Demo Organiser"


@dataclass(frozen=True)
class CampaignText:
    name: str
    script: str


# Real area codes (city, state, ZIP prefix), weighted towards a home region like a real campaign's list.
AREA_CODES: Sequence[tuple[str, str, str, str, int]] = (
    ("617", "Boston", "MA", "021", 14),
    ("857", "Boston", "MA", "021", 6),
    ("508", "Worcester", "MA", "016", 8),
    ("413", "Springfield", "MA", "011", 5),
    ("401", "Providence", "RI", "029", 5),
    ("212", "New York", "NY", "100", 7),
    ("718", "Brooklyn", "NY", "112", 5),
    ("215", "Philadelphia", "PA", "191", 4),
    ("404", "Atlanta", "GA", "303", 3),
    ("305", "Miami", "FL", "331", 3),
    ("919", "Raleigh", "NC", "276", 3),
    ("312", "Chicago", "IL", "606", 4),
    ("512", "Austin", "TX", "787", 3),
    ("615", "Nashville", "TN", "372", 2),
    ("612", "Minneapolis", "MN", "554", 2),
    ("303", "Denver", "CO", "802", 3),
    ("505", "Albuquerque", "NM", "871", 2),
    ("602", "Phoenix", "AZ", "850", 2),
    ("415", "San Francisco", "CA", "941", 4),
    ("213", "Los Angeles", "CA", "900", 3),
    ("206", "Seattle", "WA", "981", 3),
    ("503", "Portland", "OR", "972", 2),
    ("808", "Honolulu", "HI", "968", 1),
)

# fmt: off
FIRST_NAMES = (
    "Maria", "James", "Aisha", "Wei", "Carlos", "Emily", "Jamal", "Priya", "Michael", "Sofia", "David",
    "Keisha", "Nguyen", "Olivia", "Luis", "Hannah", "Tyrone", "Mei", "Robert", "Fatima", "Daniel", "Grace",
    "Andre", "Isabella", "Kevin", "Rosa", "Samuel", "Leah", "Marcus", "Anika", "Brian", "Chloe", "Diego",
    "Naomi", "Ethan", "Yesenia", "Patrick", "Imani", "Joseph", "Lucia", "Thomas", "Ava", "Omar", "Rachel",
    "Hiroshi", "Bianca", "William", "Tanisha", "Ryan", "Elena", "Gabriel", "Zoe", "Mohammed", "Claire",
    "Jorge", "Megan", "Xavier", "Ruth", "Kwame", "Lily"
)
LAST_NAMES = (
    "Garcia", "Johnson", "Williams", "Chen", "Rodriguez", "Smith", "Nguyen", "Patel", "Brown", "Martinez",
    "Davis", "Lopez", "Wilson", "Kim", "Anderson", "Thomas", "Hernandez", "Moore", "Jackson", "Lee",
    "Thompson", "White", "Harris", "Clark", "Lewis", "Robinson", "Walker", "Perez", "Hall", "Young",
    "Allen", "Sanchez", "Wright", "King", "Scott", "Green", "Baker", "Adams", "Nelson", "Hill", "Ramirez",
    "Campbell", "Mitchell", "Roberts", "Carter", "Phillips", "Evans", "Turner", "Torres", "Parker",
    "Collins", "Edwards", "Stewart", "Flores", "Morris", "Murphy", "O'Brien", "Okafor", "Cohen", "Sullivan",
    "Rivera", "Singh", "Tanaka", "Washington", "Dubois", "Kowalski"
)
# fmt: on
# Reserved example domains: the demo must never hold a deliverable stranger's address.
EMAIL_DOMAINS = ("example.com", "example.org", "example.net")
TAG_WEIGHTS: Sequence[tuple[str, float]] = (
    ("supporter", 0.45),
    ("volunteer", 0.28),
    ("donor", 0.25),
    ("undecided", 0.22),
    ("press", 0.04),
)

CONVERSATIONS_SCRIPTS: Sequence[Sequence[tuple[str, str]]] = (
    (
        (
            "out",
            "Hi {first}, it's {agent} from {org}. Thanks for signing up! Any questions about next steps?",
        ),
        ("in", "Hi! Yes - where do I pick up yard signs?"),
        ("out", "Our office at 14 Elm St, weekdays 10am-6pm. We'll have one ready with your name on it."),
        ("in", "Perfect, I'll swing by Thursday."),
    ),
    (
        ("in", "Hey, is the town hall still on for Tuesday?"),
        ("out", "Yes! 7pm at the public library, community room B. Want us to save you a seat?"),
        ("in", "Yes please, two seats"),
        ("out", "Done - see you and your guest on Tuesday, {first}."),
    ),
    (
        (
            "out",
            "Hi {first}, we're short two drivers for Saturday's senior rides. Could you help for 2 hours?",
        ),
        ("in", "I can do 10 to noon"),
        ("out", "Wonderful, thank you! I'll text you the pickup list Friday evening."),
    ),
    (
        ("in", "How do I update my donation amount?"),
        ("out", "Happy to help, {first}. Reply with the new monthly amount and we'll update it today."),
        ("in", "$25 a month please"),
        ("out", "Updated to $25/month. Thank you for your generosity!"),
        ("in", "Thanks!"),
    ),
    (
        ("out", "Reminder: early voting opens Monday. Need a ride or polling place info? Just reply here."),
        ("in", "Where is my polling place?"),
        ("out", "Based on your address it's Lincoln Elementary, 300 Oak Ave, open 7am-8pm."),
    ),
    (
        ("in", "Can I bring my kids to the canvass training?"),
        ("out", "Of course - there's a kids' corner with snacks. Training starts at 10am sharp."),
    ),
    (
        ("out", "Hi {first}, thanks for chatting with us last week. Would you like our monthly newsletter?"),
        ("in", "Sure, email is fine"),
        ("out", "Great, you're on the list."),
    ),
    (
        ("in", "Who do I talk to about a press interview with the director?"),
        ("out", "That's me! I can set up a 20-minute call. What times work for you this week?"),
        ("in", "Wednesday after 2pm ET"),
        ("out", "Booked for Wednesday 3pm ET. You'll get a calendar invite shortly."),
        ("in", "Thank you"),
    ),
)

SMS_CAMPAIGN_BODY = (
    "Hi {first}, it's {org}! Our Saturday canvass starts 10am at 14 Elm St. Can you make a shift? "
    "Reply YES or NO. Reply STOP to opt out."
)
SMS_REPLIES: Sequence[tuple[str, str | None]] = (
    ("YES! Count me in", "Amazing, thank you {first}! We'll have your packet ready."),
    ("Yes", "Thanks {first}! See you Saturday at 10."),
    ("Can't this week, sorry. Next time!", "No worries at all - we'll keep you posted."),
    ("What time does it end?", "Shifts run 10-1 and 1-4; pick either or both."),
    ("NO", None),
    ("Can I bring a friend?", "Absolutely, the more the merrier!"),
)

# (transcript, summary, sentiment, score, outcome). None transcript: analysed, but not recorded.
CALL_STORIES: Sequence[tuple[str | None, str, str, float, str]] = (
    (
        "Agent: Hi {first}, this is {agent} with {org}. Do you have a minute to talk about the election?\n"
        "Contact: Sure, I have a minute.\n"
        "Agent: Can we count on your support on November 5th?\n"
        "Contact: Yes, absolutely. I already have my plan to vote.",
        "Confirmed supporter with a voting plan; no further follow-up needed.",
        "positive",
        0.86,
        "talk",
    ),
    (
        "Agent: Hi {first}, it's {agent} from {org}.\n"
        "Contact: I'm driving right now, can you call back later?\n"
        "Agent: Of course, what time works?\n"
        "Contact: After six.",
        "Asked for a callback after 6pm; was driving.",
        "neutral",
        0.05,
        "callback",
    ),
    (
        "Agent: Hi {first}, this is {agent} with {org}. We wanted to thank you for your gift.\n"
        "Contact: Oh, that's kind of you. Happy to help.\n"
        "Agent: Would you consider volunteering at our food drive?\n"
        "Contact: Maybe, send me the details by text.",
        "Thanked for the donation; open to volunteering, wants details by SMS.",
        "positive",
        0.64,
        "talk",
    ),
    (
        None,
        "Undecided voter; concerned about property taxes. Asked for the policy one-pager.",
        "neutral",
        -0.08,
        "talk",
    ),
    (
        "Agent: Hi {first}, this is {agent} with {org}.\n"
        "Contact: I get too many of these calls.\n"
        "Agent: I understand, I'll keep it short.\n"
        "Contact: I'm not interested, thanks.",
        "Not interested; frustrated with call volume.",
        "negative",
        -0.62,
        "talk",
    ),
    (
        None,
        "Signed up for a Saturday canvass shift and asked about parking.",
        "positive",
        0.71,
        "talk",
    ),
)
OPT_OUT_STORY = (
    "Agent: Hi {first}, this is {agent} with {org}.\n"
    "Contact: Please take me off your list.\n"
    "Agent: Understood, you won't be called again.",
    "Asked to be removed from the call list; pressed 9 to opt out.",
    "negative",
    -0.7,
    "opt_out",
)
INBOUND_STORIES: Sequence[tuple[str, str, str, float]] = (
    (
        "Contact: Hi, I missed a call from this number.\n"
        "Agent: Thanks for calling back! We're reaching out about Saturday's canvass.\n"
        "Contact: Oh great, I'd like to join.",
        "Returned a missed call and signed up for Saturday's canvass.",
        "positive",
        0.74,
    ),
    (
        "Contact: I'd like to know where to drop off food donations.\n"
        "Agent: Our office at 14 Elm St takes them weekdays until 6.",
        "Asked where to drop off food donations; given office hours.",
        "neutral",
        0.22,
    ),
    (
        "Contact: Who is this? You called me twice.\nAgent: Sorry about that, it's {org}. I'll note it.",
        "Annoyed by repeated calls; asked who was calling.",
        "negative",
        -0.45,
    ),
)


THANK_YOU_CALLS = CampaignText(
    "Spring Fundraiser Thank-You Calls",
    "Hi {first_name}, this is {agent} with Demo Campaign HQ. I'm calling to thank you for "
    "standing with us this spring. Could we count on you for our food drive on the 12th?",
)
GET_OUT_THE_VOTE_CALLS = CampaignText(
    "Get Out The Vote Phone Bank",
    "Hi {first_name}, I'm {agent}, a volunteer with Demo Campaign HQ. Early voting opens soon - "
    "can we count on your vote? Press 1 to talk with an organiser, 2 for a callback, 9 to opt out.",
)
CANVASS_REMINDER_TEXTS = CampaignText("Saturday Canvass Shift Reminder", SMS_CAMPAIGN_BODY)
