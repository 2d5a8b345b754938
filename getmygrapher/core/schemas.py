"""Shared request/response building blocks: strict input models and normalised text (GEN-8)."""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass
from typing import Annotated, Any

from pydantic import (
    AfterValidator,
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Field,
    GetCoreSchemaHandler,
)
from pydantic_core import PydanticCustomError, core_schema

_CONTROL = re.compile(r"[\x00-\x09\x0b-\x1f\x7f-\x9f\u2028\u2029]")


class RequestModel(BaseModel):
    """Input: unknown (including server-owned) fields are refused with 422."""

    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)


class ResponseModel(BaseModel):
    model_config = ConfigDict(from_attributes=True)


def normalise_text(value: Any) -> Any:
    if not isinstance(value, str):
        return value
    value = unicodedata.normalize("NFC", value.replace("\r\n", "\n")).strip()
    if _CONTROL.search(value):
        raise PydanticCustomError("invalid_format", "Control characters are not allowed")
    return value


def single_line(value: str) -> str:
    if "\n" in value:
        raise PydanticCustomError("invalid_format", "Line breaks are not allowed here")
    return value


@dataclass(frozen=True)
class PlainText:
    """`Annotated[str, PlainText(1, 100)]`: NFC, trimmed, code-point lengths, no control
    characters; single line unless `multiline`."""

    min_length: int = 0
    max_length: int = 1000
    multiline: bool = True

    def __get_pydantic_core_schema__(
        self, source: Any, handler: GetCoreSchemaHandler
    ) -> core_schema.CoreSchema:
        inner: core_schema.CoreSchema = core_schema.str_schema(
            min_length=self.min_length, max_length=self.max_length
        )
        if not self.multiline:
            inner = core_schema.no_info_after_validator_function(single_line, inner)
        return core_schema.no_info_before_validator_function(normalise_text, inner)


_NAME = re.compile(r"^[^\W\d_](?:[^\W\d_]|[\s\-'.\u0900-\u0dff])*$", re.UNICODE)


def person_name(value: str) -> str:
    """Letters in any script, spaces, hyphens, apostrophes and dots (PRF-1)."""
    value = re.sub(r"\s+", " ", value)
    # Indic combining marks (matras, viramas) are not \w letters; allow the Indic blocks explicitly.
    if not _NAME.match(value):
        raise PydanticCustomError(
            "invalid_format", "Use letters, spaces, hyphens, apostrophes and dots only"
        )
    return value


PersonName = Annotated[
    str,
    BeforeValidator(normalise_text),
    Field(min_length=2, max_length=50),
    AfterValidator(person_name),
]


_PHONE = re.compile(r"^(\+91|91)?([6-9]\d{9})$")


def indian_mobile(value: Any) -> Any:
    """GEN-10: +91/91 optional, spaces and dashes allowed; stored as +91XXXXXXXXXX."""
    if not isinstance(value, str):
        return value
    match = _PHONE.match(re.sub(r"[\s\-]", "", value))
    if match is None:
        raise PydanticCustomError("invalid_format", "Enter a 10-digit Indian mobile number")
    return "+91" + match.group(2)


def mask_phone(phone: str | None) -> str | None:
    """`+91 98XXXXXX10`: enough to recognise one's own number, useless to anyone else."""
    if not phone:
        return None
    digits = phone.removeprefix("+91")
    return f"+91 {digits[:2]}{'X' * 6}{digits[-2:]}"


IndianMobile = Annotated[str, BeforeValidator(indian_mobile)]
PinCode = Annotated[str, Field(pattern=r"^[1-9][0-9]{5}$")]
