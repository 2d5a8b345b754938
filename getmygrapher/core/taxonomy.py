"""The one taxonomy every area validates against and clients read from GET /v1/taxonomy (§20)."""

from __future__ import annotations

import re
from typing import Any

from getmygrapher.core.india import STATES

CATEGORIES: dict[str, dict[str, list[str]]] = {
    "Photography": {
        "types": [
            "Portrait Photographer",
            "Wedding Photographer",
            "Event Photographer",
            "Commercial Photographer",
            "Real Estate Photographer",
            "Travel Photographer",
            "Sports Photographer",
            "Documentary Photographer",
            "Fine Art Photographer",
            "Architectural Photographer",
        ],
        "specializations": [
            "Portrait Photography",
            "Wedding Photography",
            "Event Photography",
            "Commercial Photography",
            "Product Photography",
            "Fashion Photography",
            "Real Estate Photography",
            "Food Photography",
            "Travel Photography",
            "Sports Photography",
            "Documentary Photography",
            "Fine Art Photography",
        ],
    },
    "Videography & Film": {
        "types": [
            "Wedding Videographer",
            "Commercial Videographer",
            "Music Videographer",
            "Digital Content Creator",
            "Broadcast Videographer",
        ],
        "specializations": [
            "Wedding Videography",
            "Commercial Videos",
            "Music Videos",
            "Corporate Videos",
            "Documentary Films",
            "Social Media Content",
            "Live Streaming",
            "Drone Videography",
            "Animation",
            "Post-Production",
        ],
    },
    "Audio Production": {
        "types": ["Mixing Engineer", "Mastering Engineer", "Live Sound Engineer"],
        "specializations": [
            "Music Production",
            "Podcast Production",
            "Voice Over Recording",
            "Live Sound Engineering",
            "Audio Mixing",
            "Audio Mastering",
            "Sound Design",
            "Audio Post-Production",
        ],
    },
    "Design & Creative": {
        "types": ["Graphic Designer", "Social Media Designer", "Illustrator", "Creative Director"],
        "specializations": [
            "Logo Design",
            "Brand Identity",
            "Web Design",
            "Print Design",
            "Social Media Graphics",
            "Packaging Design",
            "Illustration",
            "UI/UX Design",
            "Motion Graphics",
        ],
    },
    "Multi-Disciplinary": {
        "types": [
            "Content Creator",
            "Visual Storyteller",
            "Brand Specialist",
            "Social Media Manager",
            "Event Planner",
        ],
        "specializations": [
            "Content Creation",
            "Brand Strategy",
            "Social Media Management",
            "Event Planning",
            "Creative Direction",
            "Digital Marketing",
            "Photography + Videography",
            "Design + Development",
        ],
    },
}

PROFESSIONAL_TYPES: frozenset[str] = frozenset(
    t for category in CATEGORIES.values() for t in category["types"]
)
CATEGORY_OF_TYPE: dict[str, str] = {
    t: name for name, category in CATEGORIES.items() for t in category["types"]
}

EXPERIENCE_BANDS = ("0-1 years", "1-3 years", "3-5 years", "5-10 years", "10+ years")
GENDERS = ("Male", "Female", "Other", "Prefer not to say")
PRICING_TYPES = ("per_hour", "per_day", "per_event")
RADIUS_PRESETS_KM = (5, 10, 25, 50, 100, 500)
WORK_RADIUS_PRESETS_KM = (5, 10, 25, 50, 100)

EQUIPMENT_CATEGORIES = ("cameras", "lenses", "lighting", "support_gear", "audio", "other")
EQUIPMENT_CONDITIONS = ("new", "excellent", "good", "fair")
CAMERA_ROLES = ("primary", "secondary")
SUPPORT_GEAR_KINDS = ("tripod_monopod", "gimbal_stabilizer", "slider_dolly", "drone", "other")
EQUIPMENT_CATALOGUE: dict[str, list[str]] = {
    "cameras": [
        "Canon EOS R5",
        "Canon EOS R6",
        "Canon 5D Mark IV",
        "Canon 6D Mark II",
        "Nikon D850",
        "Nikon D780",
        "Nikon Z6",
        "Nikon Z7",
        "Nikon Z9",
        "Sony A7 III",
        "Sony A7 IV",
        "Sony A7R IV",
        "Sony A7R V",
        "Sony A7S III",
        "Sony FX3",
        "Sony FX6",
        "Fujifilm X-T4",
        "Fujifilm X-T5",
        "Fujifilm GFX 100S",
        "Panasonic GH5",
        "Panasonic GH6",
        "Blackmagic Pocket 6K",
        "RED Komodo",
    ],
    "lenses": [
        "14mm f/2.8",
        "14-24mm f/2.8",
        "16-35mm f/2.8",
        "24mm f/1.4",
        "24-70mm f/2.8",
        "24-105mm f/4",
        "35mm f/1.4",
        "50mm f/1.4",
        "70-200mm f/2.8",
        "85mm f/1.4",
        "100mm f/2.8 Macro",
        "135mm f/1.8",
        "135mm f/2",
        "200mm f/2",
    ],
    "lighting": [
        "Godox AD600",
        "Profoto B1X",
        "Elinchrom ELB 500",
        "Aputure 300D",
        "Studio Strobes",
        "Softbox Kit",
        "Beauty Dish",
        "Ring Light",
        "LED Panel",
        "Continuous Lights",
        "Reflectors",
        "Diffusers",
        "Umbrellas",
        "Flash Triggers",
        "Light Stands",
        "Color Gels",
    ],
    "support_gear": ["Tripods & Monopods", "Gimbals & Stabilizers", "Sliders & Dollies", "Drones"],
    "audio": ["Audio Recorders", "Microphones"],
    "other": [
        "Memory Cards",
        "Batteries",
        "Camera Bags",
        "Filters",
        "Remote Triggers",
        "Backdrop Stands",
    ],
}

PROFILE_REPORT_REASONS = (
    "inappropriate_content",
    "fake_profile",
    "spam",
    "harassment",
    "copyright",
    "pricing_issues",
    "other",
)
ID_DOCUMENT_TYPES = ("aadhar", "pan", "driving_license", "passport")
CONTACT_METHODS = ("phone", "email", "whatsapp", "message")
SHAREABLE_FIELDS = ("phone", "email", "whatsapp")
VIEW_SOURCES = ("search", "direct", "job_post", "recommendation", "featured")
DEVICES = ("mobile", "tablet", "desktop")

_FOLD = re.compile(r"[\s\-_.,/&+()']+")


def normalised_name(name: str) -> str:
    """EQP-2/EQP-3: case, spaces and punctuation folded, so 'Sony A7-III' matches 'sony a7 iii'."""
    return _FOLD.sub("", name.casefold())


def as_document() -> dict[str, Any]:
    """Everything a client needs to render pickers, in one response."""
    return {
        "categories": [
            {"name": name, "types": data["types"], "specializations": data["specializations"]}
            for name, data in CATEGORIES.items()
        ],
        "experience_bands": list(EXPERIENCE_BANDS),
        "genders": list(GENDERS),
        "pricing_types": list(PRICING_TYPES),
        "work_radius_presets_km": list(WORK_RADIUS_PRESETS_KM),
        "search_radius_presets_km": list(RADIUS_PRESETS_KM),
        "equipment": {
            "categories": list(EQUIPMENT_CATEGORIES),
            "conditions": list(EQUIPMENT_CONDITIONS),
            "camera_roles": list(CAMERA_ROLES),
            "support_gear_kinds": list(SUPPORT_GEAR_KINDS),
            "catalogue": EQUIPMENT_CATALOGUE,
        },
        "profile_report_reasons": list(PROFILE_REPORT_REASONS),
        "id_document_types": list(ID_DOCUMENT_TYPES),
        "states": list(STATES),
        "contact_methods": list(CONTACT_METHODS),
        "shareable_fields": list(SHAREABLE_FIELDS),
    }
