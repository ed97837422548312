"""The amenity vocabulary: stable codes with Chinese and English labels, and their bitmasks."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Final, NamedTuple


class Amenity(NamedTuple):
    code: str
    zh: str
    en: str


#: The public vocabulary. Order is part of the contract: it fixes each code's bit in the
#: catalog's masks and the order amenities are listed in responses.
VOCABULARY: Final[tuple[Amenity, ...]] = (
    Amenity("water", "饮水", "drinking water (hot/cold)"),
    Amenity("microwave", "微波炉", "meal heating"),
    Amenity("fridge", "冰箱", "fridge"),
    Amenity("phone_charging", "手机充电", "phone charging"),
    Amenity("ebike_charging", "电动车充电", "e-bike charging"),
    Amenity("battery_swap", "换电柜", "battery swap cabinet"),
    Amenity("seating", "座椅休息", "seating"),
    Amenity("air_conditioning", "空调", "air conditioning"),
    Amenity("heating", "取暖", "heating"),
    Amenity("first_aid", "应急药箱", "first-aid kit"),
    Amenity("aed", "AED", "AED defibrillator"),
    Amenity("repair_tools", "维修工具", "repair tools"),
    Amenity("tyre_pump", "打气筒", "tyre pump"),
    Amenity("umbrella", "雨具", "umbrellas and rain gear"),
    Amenity("toilet", "卫生间", "toilet"),
    Amenity("wifi", "无线网络", "Wi-Fi"),
    Amenity("books", "图书", "books"),
    Amenity("lockers", "储物柜", "lockers"),
    Amenity("womens_room", "女性休息室", "women's rest room"),
    Amenity("nursing_room", "母婴室", "nursing room"),
    Amenity("meals", "爱心餐", "free or low-cost meals"),
    Amenity("accessible", "无障碍", "wheelchair accessible"),
)

CODES: Final[tuple[str, ...]] = tuple(a.code for a in VOCABULARY)
BY_CODE: Final[dict[str, Amenity]] = {a.code: a for a in VOCABULARY}
_BIT: Final[dict[str, int]] = {code: 1 << i for i, code in enumerate(CODES)}


class UnknownAmenity(ValueError):
    """One or more amenity codes are not in the vocabulary."""

    def __init__(self, unknown: Iterable[str]) -> None:
        self.unknown = tuple(unknown)
        super().__init__(
            f"unknown amenity code(s): {', '.join(self.unknown)}; valid codes: {', '.join(CODES)}"
        )


def check_codes(codes: Iterable[str]) -> tuple[str, ...]:
    """The codes in vocabulary order without repeats; raises UnknownAmenity naming every
    unknown code. An empty input gives an empty tuple."""
    wanted = list(codes)
    unknown = [c for c in wanted if c not in _BIT]
    if unknown:
        raise UnknownAmenity(dict.fromkeys(unknown))
    chosen = set(wanted)
    return tuple(c for c in CODES if c in chosen)


def mask_of(codes: Iterable[str]) -> int:
    """Bitmask with one bit per code (codes must be valid)."""
    mask = 0
    for code in codes:
        mask |= _BIT[code]
    return mask
