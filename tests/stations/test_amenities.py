from __future__ import annotations

import pytest

from stations.amenities import CODES, VOCABULARY, UnknownAmenity, check_codes, mask_of


def test_vocabulary_matches_the_contract() -> None:
    assert len(CODES) == len(set(CODES)) == 22
    assert {"water", "microwave", "ebike_charging", "womens_room", "accessible"} <= set(CODES)
    assert all(a.zh and a.en for a in VOCABULARY)


def test_check_codes_orders_and_deduplicates() -> None:
    assert check_codes(["toilet", "water", "toilet"]) == ("water", "toilet")
    assert check_codes([]) == ()


def test_unknown_codes_are_all_named_with_the_valid_list() -> None:
    with pytest.raises(UnknownAmenity) as exc:
        check_codes(["water", "sauna", "spa"])
    assert exc.value.unknown == ("sauna", "spa")
    assert "valid codes: water, microwave" in str(exc.value)


def test_masks_are_distinct_bits() -> None:
    masks = [mask_of([c]) for c in CODES]
    assert len(set(masks)) == len(CODES)
    assert mask_of(["water", "microwave"]) == masks[0] | masks[1]
    assert mask_of([]) == 0
