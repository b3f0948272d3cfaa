"""Every configuration rule of spec/config.md, each with a good and a bad file."""

from __future__ import annotations

import copy
from decimal import Decimal
from pathlib import Path

import pytest
import yaml

from pbr_pipeline.config import ConfigError, load_area_file, load_areas
from pbr_pipeline.settings import PILOT_CONFIG_DIR

GOOD = {
    "area": "OXF",
    "name": "Oxfordshire",
    "rule_set": "national-2011",
    "submitters": [
        {"code": "OXF-AQUARIUS", "role": "LASAR"},
        {"code": "OXF-LIFELINE", "role": "PROVIDER"},
        {"code": "OXF-OXHEALTH", "role": "PROVIDER"},
        {"code": "OXF-POLICE", "role": "POLICE"},
        {"code": "DWP", "role": "DWP"},
    ],
    "contracts": [
        {"id": "REC-1", "provider": "OXF-LIFELINE", "start": "2012-04-01", "end": "2013-03-31", "annual_cap_gbp": 900},
        {"id": "REC-2", "provider": "OXF-LIFELINE", "start": "2013-04-01", "end": "2015-03-31"},
        {"id": "HM", "provider": "OXF-OXHEALTH", "start": "2012-04-01", "end": "2015-03-31"},
    ],
    "schedules": [
        {
            "effective_from": "2012-04-01",
            "conversion_payment_gbp": 400,
            "bands": [
                {"band": 1, "attachment_fee_gbp": 100, "outcome_tariff_gbp": 1000},
                {"band": 2, "attachment_fee_gbp": 200, "outcome_tariff_gbp": 2000},
            ],
            "weights": {
                "D1_REDUCED_USE": 0.05, "D2_ABSTINENT": 0.15, "D3_COMPLETED": 0.2, "D4_SUSTAINED": 0.25,
                "H1_INJECTING_CEASED": 0.05, "H2_HOUSING_RESOLVED": 0.05, "H3_HEPB_COMPLETED": 0.025,
                "H4_QOL_NORMATIVE": 0.075, "O1_OFFENDING": 0.15, "E1_EMPLOYMENT": 0.0,
            },
        }
    ],
}


def write(folder: Path, data: dict, name: str = "area.yaml") -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / name
    path.write_text(yaml.safe_dump(data, sort_keys=False))
    return path


def mutated(change) -> dict:
    data = copy.deepcopy(GOOD)
    change(data)
    return data


def test_good_file_loads_with_exact_values(tmp_path):
    config = load_area_file(write(tmp_path, GOOD))
    assert config.area == "OXF"
    assert config.submitters_with_role("PROVIDER") == ("OXF-LIFELINE", "OXF-OXHEALTH")
    assert config.contracts[0].annual_cap_gbp == Decimal("900")
    assert config.contracts[1].annual_cap_gbp is None
    assert config.schedules[0].weights["H3_HEPB_COMPLETED"] == Decimal("0.025")
    assert config.thresholds.qol_norm == 14
    assert config.thresholds.reliable_change_days["CRACK"] == 7


# (rule, change making the file bad, key named in the message, words of the problem)
BAD_CASES = [
    ("area code format", lambda d: d.update(area="Ox1"), "area", "does not match"),
    ("submitter codes unique", lambda d: d["submitters"].append({"code": "OXF-POLICE", "role": "POLICE"}), "submitters[5].code", "declared twice"),
    ("known role", lambda d: d["submitters"].__setitem__(3, {"code": "OXF-POLICE", "role": "COURT"}), "submitters[3].role", "unknown role"),
    ("contract provider is a PROVIDER", lambda d: d["contracts"][2].update(provider="OXF-POLICE"), "contracts[2].provider", "not a PROVIDER"),
    ("contract dates in order", lambda d: d["contracts"][2].update(end="2012-03-31"), "contracts[2].end", "before start"),
    ("at least one schedule", lambda d: d.update(schedules=[]), "schedules", "at least one"),
    ("schedules distinct", lambda d: d["schedules"].append(copy.deepcopy(d["schedules"][0])), "schedules[1].effective_from", "used by another"),
    ("bands distinct", lambda d: d["schedules"][0]["bands"][1].update(band=1), "schedules[0].bands[1].band", "defined twice"),
    ("bands positive", lambda d: d["schedules"][0]["bands"][0].update(band=0), "schedules[0].bands[0].band", ">= 1"),
    ("bands integers", lambda d: d["schedules"][0]["bands"][0].update(band=1.5), "schedules[0].bands[0].band", "whole number"),
    ("amounts >= 0", lambda d: d["schedules"][0]["bands"][0].update(outcome_tariff_gbp=-1), "outcome_tariff_gbp", ">= 0"),
    ("cap >= 0", lambda d: d["contracts"][0].update(annual_cap_gbp=-5), "contracts[0].annual_cap_gbp", ">= 0"),
    ("conversion payment >= 0", lambda d: d["schedules"][0].update(conversion_payment_gbp=-400), "conversion_payment_gbp", ">= 0"),
    ("weights known outcomes", lambda d: d["schedules"][0]["weights"].update(X9_UNKNOWN=0.0), "weights.X9_UNKNOWN", "unknown outcome"),
    ("weights in [0, 1]", lambda d: d["schedules"][0]["weights"].update(D1_REDUCED_USE=1.05, D2_ABSTINENT=-0.85), "weights.D1_REDUCED_USE", "[0, 1]"),
    ("weights sum to 1", lambda d: d["schedules"][0]["weights"].update(E1_EMPLOYMENT=0.00001), "schedules[0].weights", "sum to 1"),
    ("contracts do not overlap", lambda d: d["contracts"][1].update(start="2013-03-31"), "contracts[1].start", "overlaps"),
    ("required key", lambda d: d.pop("name"), "name", "required"),
    ("unknown key", lambda d: d["contracts"][0].update(anual_cap_gbp=5), "contracts[0].anual_cap_gbp", "unknown key"),
    ("known rule set", lambda d: d.update(rule_set="national-2099"), "rule_set", "unknown rule set"),
    ("thresholds known substance", lambda d: d.update(thresholds={"reliable_change_days": {"TEA": 7}}), "thresholds.reliable_change_days.TEA", "unknown substance"),
    ("qol norm in range", lambda d: d.update(thresholds={"qol_norm": 25}), "thresholds.qol_norm", "<= 20"),
]


@pytest.mark.parametrize("rule, change, key, problem", BAD_CASES, ids=[case[0] for case in BAD_CASES])
def test_each_rule_rejects_a_bad_file_naming_file_key_and_problem(tmp_path, rule, change, key, problem):
    path = write(tmp_path, mutated(change))
    with pytest.raises(ConfigError) as caught:
        load_area_file(path)
    message = str(caught.value)
    assert message.startswith(str(path)), message
    assert key in caught.value.key, message
    assert problem in caught.value.problem, message


GOOD_EDGE_CASES = [
    ("weights sum within tolerance", lambda d: d["schedules"][0]["weights"].update(E1_EMPLOYMENT=0.0000005)),
    ("adjacent contracts do not overlap", lambda d: d["contracts"][1].update(start="2013-04-01")),
    ("weight of exactly 1", lambda d: d["schedules"][0].update(weights={"D3_COMPLETED": 1})),
    ("amounts of zero", lambda d: d["schedules"][0]["bands"][0].update(attachment_fee_gbp=0)),
    ("no conversion payment", lambda d: d["schedules"][0].pop("conversion_payment_gbp")),
    ("thresholds given", lambda d: d.update(thresholds={"reliable_change_days": {"ALCOHOL": 10}, "qol_norm": 12})),
]


@pytest.mark.parametrize("case, change", GOOD_EDGE_CASES, ids=[case[0] for case in GOOD_EDGE_CASES])
def test_good_edge_cases_load(tmp_path, case, change):
    load_area_file(write(tmp_path, mutated(change)))


def test_thresholds_override_defaults_per_substance(tmp_path):
    data = mutated(lambda d: d.update(thresholds={"reliable_change_days": {"ALCOHOL": 10}, "qol_norm": 12}))
    config = load_area_file(write(tmp_path, data))
    assert config.thresholds.reliable_change_days == {
        "OPIATES": 7, "CRACK": 7, "COCAINE": 7, "AMPHETAMINES": 7, "CANNABIS": 7, "ALCOHOL": 10, "OTHER": 7,
    }
    assert config.thresholds.qol_norm == 12


def test_submitter_in_two_areas_is_rejected_but_dwp_may_serve_all(tmp_path):
    wigan = mutated(lambda d: d.update(area="WIG", submitters=[
        {"code": "WIG-LASAR", "role": "LASAR"}, {"code": "WIG-ADS", "role": "PROVIDER"}, {"code": "DWP", "role": "DWP"},
    ], contracts=[{"id": "W", "provider": "WIG-ADS", "start": "2012-04-01", "end": "2015-03-31"}]))
    write(tmp_path, GOOD, "oxf.yaml")
    write(tmp_path, wigan, "wig.yaml")
    areas = load_areas(tmp_path)
    assert areas.submitter_area["DWP"] is None
    assert areas.submitter_area["WIG-ADS"] == "WIG"

    wigan["submitters"].append({"code": "OXF-POLICE", "role": "POLICE"})
    write(tmp_path, wigan, "wig.yaml")
    with pytest.raises(ConfigError, match="OXF-POLICE is already a submitter of area OXF") as caught:
        load_areas(tmp_path)
    assert caught.value.file.endswith("wig.yaml")


def test_invalid_yaml_and_empty_folder_are_reported(tmp_path):
    (tmp_path / "broken.yaml").write_text("area: [unclosed\n")
    with pytest.raises(ConfigError, match="not valid YAML"):
        load_areas(tmp_path)
    with pytest.raises(ConfigError, match="holds no area configuration"):
        load_areas(tmp_path / "empty")


def test_the_eight_pilot_areas_ship_with_their_character():
    areas = load_areas(PILOT_CONFIG_DIR).by_code()
    assert sorted(areas) == ["BRF", "ENF", "KNT", "LIN", "OXF", "STP", "WAK", "WIG"]
    for area in areas.values():
        assert len(area.submitters_with_role("LASAR")) == 1
        assert 1 <= len(area.submitters_with_role("PROVIDER")) <= 2
        assert area.submitters_with_role("POLICE") and "DWP" in area.submitters_with_role("DWP")
        assert min(c.start for c in area.contracts).isoformat() == "2012-04-01"
        assert area.bands == {1, 2, 3}
        assert "ILLUSTRATIVE" in area.file.read_text()

    def heaviest(code):
        weights = areas[code].schedules[0].weights
        return max(weights, key=weights.get)

    assert heaviest("BRF") == "O1_OFFENDING"
    assert heaviest("OXF") == "D2_ABSTINENT"
    wigan = areas["WIG"].schedules[0].weights
    assert wigan["D3_COMPLETED"] + wigan["D4_SUSTAINED"] >= Decimal("0.6")
    assert areas["OXF"].schedules[0].conversion_payment_gbp == Decimal("400")
    assert len(areas["LIN"].submitters_with_role("PROVIDER")) == 2
