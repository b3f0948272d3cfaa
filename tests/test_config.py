"""Every configuration rule of spec/config.md, each with a good and a bad file."""

from __future__ import annotations

import copy
import datetime as dt
from decimal import Decimal
from pathlib import Path

import pytest
import yaml

from pbr_pipeline.config import ConfigError, load_area_file, load_areas
from pbr_pipeline.settings import PILOT_CONFIG_DIR
from tests.conftest import ACCEPTANCE

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
                "D1_REDUCED_USE": 0.05,
                "D2_ABSTINENT": 0.15,
                "D3_COMPLETED": 0.2,
                "D4_SUSTAINED": 0.25,
                "H1_INJECTING_CEASED": 0.05,
                "H2_HOUSING_RESOLVED": 0.05,
                "H3_HEPB_COMPLETED": 0.025,
                "H4_QOL_NORMATIVE": 0.075,
                "O1_OFFENDING": 0.15,
                "E1_EMPLOYMENT": 0.0,
            },
        }
    ],
}


def write(folder: Path, data: dict, name: str = "area.yaml") -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / name
    path.write_text(yaml.safe_dump(data, sort_keys=False))
    return path


def write_edited(folder: Path, old: str, new: str, name: str = "area.yaml") -> Path:
    """GOOD as YAML text with one textual edit: for what a dict cannot hold (a key twice, bad syntax)."""
    text = yaml.safe_dump(GOOD, sort_keys=False)
    assert old in text, old
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / name
    path.write_text(text.replace(old, new, 1))
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
    (
        "submitter codes unique",
        lambda d: d["submitters"].append({"code": "OXF-POLICE", "role": "POLICE"}),
        "submitters[5].code",
        "declared twice",
    ),
    (
        "known role",
        lambda d: d["submitters"].__setitem__(3, {"code": "OXF-POLICE", "role": "COURT"}),
        "submitters[3].role",
        "unknown role",
    ),
    (
        "contract provider is a PROVIDER",
        lambda d: d["contracts"][2].update(provider="OXF-POLICE"),
        "contracts[2].provider",
        "not a PROVIDER",
    ),
    (
        "contract dates in order",
        lambda d: d["contracts"][2].update(end="2012-03-31"),
        "contracts[2].end",
        "before start",
    ),
    ("at least one schedule", lambda d: d.update(schedules=[]), "schedules", "at least one"),
    (
        "schedules distinct",
        lambda d: d["schedules"].append(copy.deepcopy(d["schedules"][0])),
        "schedules[1].effective_from",
        "used by another",
    ),
    (
        "bands distinct",
        lambda d: d["schedules"][0]["bands"][1].update(band=1),
        "schedules[0].bands[1].band",
        "defined twice",
    ),
    ("bands positive", lambda d: d["schedules"][0]["bands"][0].update(band=0), "schedules[0].bands[0].band", ">= 1"),
    (
        "bands integers",
        lambda d: d["schedules"][0]["bands"][0].update(band=1.5),
        "schedules[0].bands[0].band",
        "whole number",
    ),
    (
        "amounts >= 0",
        lambda d: d["schedules"][0]["bands"][0].update(outcome_tariff_gbp=-1),
        "outcome_tariff_gbp",
        ">= 0",
    ),
    ("cap >= 0", lambda d: d["contracts"][0].update(annual_cap_gbp=-5), "contracts[0].annual_cap_gbp", ">= 0"),
    (
        "conversion payment >= 0",
        lambda d: d["schedules"][0].update(conversion_payment_gbp=-400),
        "conversion_payment_gbp",
        ">= 0",
    ),
    (
        "weights known outcomes",
        lambda d: d["schedules"][0]["weights"].update(X9_UNKNOWN=0.0),
        "weights.X9_UNKNOWN",
        "unknown outcome",
    ),
    (
        "weights in [0, 1]",
        lambda d: d["schedules"][0]["weights"].update(D1_REDUCED_USE=1.05, D2_ABSTINENT=-0.85),
        "weights.D1_REDUCED_USE",
        "[0, 1]",
    ),
    (
        "weights sum to 1",
        lambda d: d["schedules"][0]["weights"].update(E1_EMPLOYMENT=0.00001),
        "schedules[0].weights",
        "sum to 1",
    ),
    (
        "contracts do not overlap",
        lambda d: d["contracts"][1].update(start="2013-03-31"),
        "contracts[1].start",
        "overlaps",
    ),
    ("required key", lambda d: d.pop("name"), "name", "required"),
    ("unknown key", lambda d: d["contracts"][0].update(anual_cap_gbp=5), "contracts[0].anual_cap_gbp", "unknown key"),
    ("known rule set", lambda d: d.update(rule_set="national-2099"), "rule_set", "unknown rule set"),
    (
        "thresholds known substance",
        lambda d: d.update(thresholds={"reliable_change_days": {"TEA": 7}}),
        "thresholds.reliable_change_days.TEA",
        "unknown substance",
    ),
    ("qol norm in range", lambda d: d.update(thresholds={"qol_norm": 25}), "thresholds.qol_norm", "<= 20"),
    ("area code is the whole value", lambda d: d.update(area="OXF\n"), "area", "does not match"),
    (
        "submitter code is the whole value",
        lambda d: d["submitters"][3].update(code="OXF-POLICE\n"),
        "submitters[3].code",
        "does not match",
    ),
    (
        "contract provider is a code",
        lambda d: d["contracts"][0].update(provider="OXF-LIFELINE\n"),
        "contracts[0].provider",
        "does not match",
    ),
    (
        "contract id is a code, not a formula",
        lambda d: d["contracts"][0].update(id='=HYPERLINK("http://x","REC-1")'),
        "contracts[0].id",
        "does not match",
    ),
    ("contract id upper case", lambda d: d["contracts"][0].update(id="rec-1"), "contracts[0].id", "does not match"),
    (
        "contract id starts with a letter or digit",
        lambda d: d["contracts"][0].update(id="-REC-1"),
        "contracts[0].id",
        "does not match",
    ),
    (
        "contract id at most 32 characters",
        lambda d: d["contracts"][0].update(id="R" * 33),
        "contracts[0].id",
        "does not match",
    ),
    ("date is YYYY-MM-DD", lambda d: d["contracts"][0].update(start="20120401"), "contracts[0].start", "YYYY-MM-DD"),
    (
        "date is the whole value",
        lambda d: d["contracts"][0].update(start="2012-04-01\n"),
        "contracts[0].start",
        "YYYY-MM-DD",
    ),
    (
        "date exists",
        lambda d: d["contracts"][0].update(start="2012-02-30"),
        "contracts[0].start",
        "'2012-02-30' is not a date",
    ),
    ("a key given as null is required", lambda d: d.update(name=None), "name", "is required"),
    ("a list item is a mapping", lambda d: d["submitters"].append("OXF-X"), "submitters[5]", "must be a mapping"),
    (
        "amounts are numbers",
        lambda d: d["schedules"][0]["bands"][0].update(outcome_tariff_gbp="1e3x"),
        "outcome_tariff_gbp",
        "must be a number",
    ),
    (
        "amounts are whole pence",
        lambda d: d["contracts"][0].update(annual_cap_gbp=1400.555),
        "contracts[0].annual_cap_gbp",
        "whole pence",
    ),
    (
        "an outcome code is named as written",
        lambda d: d["schedules"][0]["weights"].update({True: 0.0}),
        "schedules[0].weights.True",
        "unknown outcome code",
    ),
    (
        "monitoring min_denominator at least 1",
        lambda d: d.update(monitoring={"min_denominator": 0}),
        "monitoring.min_denominator",
        "must be >= 1, got 0",
    ),
    (
        "monitoring min_denominator a whole number",
        lambda d: d.update(monitoring={"min_denominator": 20.5}),
        "monitoring.min_denominator",
        "whole number",
    ),
    (
        "monitoring z_threshold positive",
        lambda d: d.update(monitoring={"z_threshold": 0}),
        "monitoring.z_threshold",
        "must be > 0, got 0",
    ),
    (
        "monitoring z_threshold a number",
        lambda d: d.update(monitoring={"z_threshold": "high"}),
        "monitoring.z_threshold",
        "must be a number",
    ),
    (
        "monitoring known keys",
        lambda d: d.update(monitoring={"min_cases": 5}),
        "monitoring.min_cases",
        "unknown key (allowed: min_denominator, z_threshold)",
    ),
    (
        "days are whole numbers",
        lambda d: d.update(thresholds={"reliable_change_days": {"ALCOHOL": 7.5}}),
        "thresholds.reliable_change_days.ALCOHOL",
        "whole number",
    ),
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
    ("monitoring given", lambda d: d.update(monitoring={"min_denominator": 1, "z_threshold": 0.5})),
    ("contract id of 32 characters", lambda d: d["contracts"][0].update(id="OXF-REC-2012-" + "9" * 19)),
    ("contract id starting with a digit", lambda d: d["contracts"][0].update(id="2012-REC")),
    (
        "optional keys given as null",
        lambda d: (d["contracts"][0].update(annual_cap_gbp=None), d.update(thresholds=None)),
    ),
    ("no contracts", lambda d: d.update(contracts=[])),
]


@pytest.mark.parametrize("case, change", GOOD_EDGE_CASES, ids=[case[0] for case in GOOD_EDGE_CASES])
def test_good_edge_cases_load(tmp_path, case, change):
    load_area_file(write(tmp_path, mutated(change)))


# (case, changes making several problems, the key of the one reported, words of its problem): a file
# is reported by the first problem met reading it in order, each list item checked against those before it
FIRST_OF_SEVERAL = [
    (
        "an unknown key before the mapping's values",
        lambda d: d["contracts"][0].update(id="bad", anual_cap_gbp=5),
        "contracts[0].anual_cap_gbp",
        "unknown key",
    ),
    (
        "an item that is no mapping before an earlier item's keys",
        lambda d: (d["submitters"][0].update(code="bad"), d["submitters"].append(7)),
        "submitters[5]",
        "must be a mapping",
    ),
    (
        "keys in reading order: an area's name after its submitters",
        lambda d: (d.pop("name"), d["submitters"][3].update(role="COURT")),
        "submitters[3].role",
        "unknown role",
    ),
    (
        "an item's rule before a later item's key",
        lambda d: (d["contracts"][1].update(id="REC-1"), d["contracts"][2].update(start="2012-02-30")),
        "contracts[1].id",
        "declared twice",
    ),
    (
        "an item's keys before its rules",
        lambda d: d["contracts"][1].update(id="REC-1", start="2012-02-30"),
        "contracts[1].start",
        "not a date",
    ),
    (
        "a contract's provider before its dates",
        lambda d: d["contracts"][2].update(provider="OXF-POLICE", end="2012-03-31"),
        "contracts[2].provider",
        "not a PROVIDER",
    ),
    (
        "a contract's dates before its overlap",
        lambda d: d["contracts"][1].update(start="2013-03-31", end="2013-03-30"),
        "contracts[1].end",
        "before start",
    ),
    (
        "a submitter's rule before a contract's key",
        lambda d: (d["submitters"].append({"code": "OXF-POLICE", "role": "POLICE"}), d["contracts"][0].update(end="x")),
        "submitters[5].code",
        "declared twice",
    ),
    (
        "a band's rule before a later band's key",
        lambda d: d["schedules"][0]["bands"].extend(
            [{"band": 1, "attachment_fee_gbp": 0, "outcome_tariff_gbp": 0}, {"band": 0}]
        ),
        "schedules[0].bands[2].band",
        "defined twice",
    ),
    (
        "a schedule's date before its own bands",
        lambda d: d["schedules"].append({**copy.deepcopy(d["schedules"][0]), "bands": []}),
        "schedules[1].effective_from",
        "used by another",
    ),
    (
        "a schedule's bands before its weights",
        lambda d: d["schedules"][0].update(bands=[], weights={}),
        "schedules[0].bands",
        "at least one band",
    ),
    (
        "weights one by one before their sum",
        lambda d: d["schedules"][0]["weights"].update(D1_REDUCED_USE=2, X9_UNKNOWN=0.0),
        "schedules[0].weights.D1_REDUCED_USE",
        "[0, 1]",
    ),
]


@pytest.mark.parametrize("case, change, key, problem", FIRST_OF_SEVERAL, ids=[case[0] for case in FIRST_OF_SEVERAL])
def test_a_file_with_several_problems_is_reported_by_the_first_met(tmp_path, case, change, key, problem):
    with pytest.raises(ConfigError) as caught:
        load_area_file(write(tmp_path, mutated(change)))
    assert caught.value.key == key, str(caught.value)
    assert problem in caught.value.problem, str(caught.value)


def test_a_duplicated_and_an_unknown_key_are_placed_alike(tmp_path):
    """The YAML reader and the models name key paths with one function: both must read `contracts[2].x`."""
    duplicated = write_edited(tmp_path, "- id: HM\n", "- id: HM\n  x: 1\n  x: 1\n", "dup.yaml")
    unknown = write_edited(tmp_path, "- id: HM\n", "- id: HM\n  x: 1\n", "unknown.yaml")
    keys = []
    for path in (duplicated, unknown):
        with pytest.raises(ConfigError) as caught:
            load_area_file(path)
        keys.append(caught.value.key)
    assert keys == ["contracts[2].x", "contracts[2].x"]


# (what is given twice, edit of GOOD's YAML text, key path named, line of the second one, of the first)
DUPLICATED_KEYS = [
    ("area", "area: OXF\n", "area: OXF\narea: WIG\n", "area", 2, 1),
    ("key of a contract", "- id: HM\n", "- id: HM\n  id: HM-2\n", "contracts[2].id", 26, 25),
    (
        "weight",
        "    E1_EMPLOYMENT: 0.0\n",
        "    E1_EMPLOYMENT: 0.0\n    E1_EMPLOYMENT: 0.0\n",
        "schedules[0].weights.E1_EMPLOYMENT",
        50,
        49,
    ),
]


@pytest.mark.parametrize(
    "case, old, new, key, line, first_line", DUPLICATED_KEYS, ids=[case[0] for case in DUPLICATED_KEYS]
)
def test_a_key_given_twice_is_an_error_naming_key_path_and_line(tmp_path, case, old, new, key, line, first_line):
    path = write_edited(tmp_path, old, new)
    with pytest.raises(ConfigError) as caught:
        load_area_file(path)
    assert caught.value.file == str(path)
    assert caught.value.key == key
    assert caught.value.problem.startswith(f"duplicated key, at line {line}, column "), caught.value.problem
    assert f"(first at line {first_line}, column " in caught.value.problem


def test_a_merged_key_may_be_overridden(tmp_path):
    """`<<: *anchor` followed by the mapping's own key is YAML's way to override, not a duplicate."""
    path = write_edited(
        tmp_path,
        "- id: REC-2\n  provider: OXF-LIFELINE\n",
        "- id: REC-2\n  <<: {provider: OXF-POLICE}\n  provider: OXF-LIFELINE\n",
    )
    assert load_area_file(path).contracts[1].provider == "OXF-LIFELINE"


def test_an_impossible_unquoted_date_names_key_and_value(tmp_path):
    path = write_edited(tmp_path, "  start: '2012-04-01'\n", "  start: 2012-02-30\n")
    with pytest.raises(ConfigError) as caught:
        load_area_file(path)
    assert (
        str(caught.value) == f"{path}: contracts[0].start: '2012-02-30' is not a date (day is out of range for month)"
    )


def test_dates_load_quoted_and_unquoted(tmp_path):
    path = write_edited(
        tmp_path, "  start: '2012-04-01'\n  end: '2013-03-31'\n", "  start: 2012-04-01\n  end: '2013-03-31'\n"
    )
    config = load_area_file(path)
    assert (config.contracts[0].start, config.contracts[0].end) == (dt.date(2012, 4, 1), dt.date(2013, 3, 31))


def test_a_yaml_syntax_error_is_one_line_with_line_and_column(tmp_path):
    path = write_edited(tmp_path, "rule_set: national-2011\n", "rule_set: national-2011: x\n")
    with pytest.raises(ConfigError) as caught:
        load_area_file(path)
    assert (
        str(caught.value) == f"{path}: <file>: not valid YAML at line 3, column 24: mapping values are not allowed here"
    )


# (case, file name, change): each puts a line break where a message would show it
LINE_BREAKS = [
    ("in a value", "area.yaml", lambda d: d["contracts"][0].update(annual_cap_gbp="-5\n")),
    ("in a provider", "area.yaml", lambda d: d["contracts"][0].update(provider="OXF\nLIFELINE")),
    ("in an unknown key", "area.yaml", lambda d: d["contracts"][0].update({"anual\ncap_gbp": 5})),
    ("in an outcome code", "area.yaml", lambda d: d["schedules"][0]["weights"].update({"X9\rUNKNOWN": 0.0})),
    ("in the file name", "bad\nname.yaml", lambda d: d.update(area="Ox1")),
]


@pytest.mark.parametrize("case, name, change", LINE_BREAKS, ids=[case[0] for case in LINE_BREAKS])
def test_every_config_error_is_one_line(tmp_path, case, name, change):
    path = write(tmp_path, mutated(change), name)
    with pytest.raises(ConfigError) as caught:
        load_area_file(path)
    assert str(caught.value).isprintable(), str(caught.value)  # no line break, not even a trailing one


def test_the_acceptance_configuration_loads():
    areas = load_areas(ACCEPTANCE / "config").by_code()
    assert {c.id for c in areas["OXF"].contracts} == {"OXF-REC-1", "OXF-REC-2", "OXF-HM"}


def test_thresholds_override_defaults_per_substance(tmp_path):
    data = mutated(lambda d: d.update(thresholds={"reliable_change_days": {"ALCOHOL": 10}, "qol_norm": 12}))
    config = load_area_file(write(tmp_path, data))
    assert config.thresholds.reliable_change_days == {
        "OPIATES": 7,
        "CRACK": 7,
        "COCAINE": 7,
        "AMPHETAMINES": 7,
        "CANNABIS": 7,
        "ALCOHOL": 10,
        "OTHER": 7,
    }
    assert config.thresholds.qol_norm == 12


def test_monitoring_thresholds_default_and_reach_the_config_tables(tmp_path):
    """spec/config.md: min_denominator 20 and z_threshold 3 unless the area sets them; the models
    read them per area from config.areas."""
    import duckdb

    from pbr_pipeline.config.models import Areas
    from pbr_pipeline.config.publish import publish_config

    default = load_area_file(write(tmp_path / "oxf", GOOD))
    assert (default.monitoring.min_denominator, default.monitoring.z_threshold) == (20, Decimal(3))
    wigan = mutated(lambda d: d.update(area="WIG", monitoring={"min_denominator": 5, "z_threshold": 2.576}))
    for submitter in wigan["submitters"]:
        submitter["code"] = submitter["code"].replace("OXF-", "WIG-")
    for contract in wigan["contracts"]:
        contract["provider"] = contract["provider"].replace("OXF-", "WIG-")
    configured = load_area_file(write(tmp_path / "wig", wigan))
    assert configured.monitoring.z_threshold == Decimal("2.576")
    con = duckdb.connect()
    con.execute("CREATE SCHEMA config")
    publish_config(con, Areas(areas=(default, configured)))
    assert con.execute("SELECT area, min_denominator, z_threshold FROM config.areas ORDER BY area").fetchall() == [
        ("OXF", 20, 3.0),
        ("WIG", 5, 2.576),
    ]


def test_submitter_in_two_areas_is_rejected_but_dwp_may_serve_all(tmp_path):
    wigan = mutated(
        lambda d: d.update(
            area="WIG",
            submitters=[
                {"code": "WIG-LASAR", "role": "LASAR"},
                {"code": "WIG-ADS", "role": "PROVIDER"},
                {"code": "DWP", "role": "DWP"},
            ],
            contracts=[{"id": "W", "provider": "WIG-ADS", "start": "2012-04-01", "end": "2015-03-31"}],
        )
    )
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


def test_a_rule_across_files_read_is_reported_before_a_later_file_problem(tmp_path):
    write(tmp_path, GOOD, "a.yaml")
    write(tmp_path, mutated(lambda d: d.update(name="Oxfordshire again")), "b.yaml")
    write(tmp_path, mutated(lambda d: d.update(area="Ox1")), "c.yaml")
    with pytest.raises(ConfigError) as caught:
        load_areas(tmp_path)
    assert str(caught.value) == f"{tmp_path / 'b.yaml'}: area: OXF is also configured in {tmp_path / 'a.yaml'}"


def test_the_look_ups_follow_the_submitters_of_every_area():
    areas = load_areas(PILOT_CONFIG_DIR)
    submitters = {(s.code, s.role, a.area) for a in areas.areas for s in a.submitters}
    assert areas.roles == {code: role for code, role, _ in submitters}
    assert areas.submitter_area == {code: None if role == "DWP" else area for code, role, area in submitters}
    assert areas.submitter_area["DWP"] is None and areas.submitter_area["OXF-LIFELINE"] == "OXF"
    assert [a.area for a in areas.areas] == sorted(areas.by_code())


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
