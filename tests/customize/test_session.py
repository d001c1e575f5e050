"""Sessions: each step says what it ruled out and why; refused choices leave no trace."""

import pytest

from one2one.customize import ConfigurationSession, Configurator, Group, Option, ProductModel, Rule
from one2one.errors import ConfigurationConflictError
from one2one.interact import InteractionLog

MODEL = ProductModel(
    "bike",
    [Option(n) for n in ("bike", "frame", "road", "mountain", "carrier", "suspension")],
    [
        Group("bike", "mandatory", ["frame"]),
        Group("frame", "alternative", ["road", "mountain"]),
        Group("bike", "optional", ["carrier", "suspension"]),
    ],
    [Rule.excludes("road", "carrier"), Rule.requires("suspension", "mountain")],
)


def test_each_step_names_what_it_ruled_out_and_the_choice_behind_it():
    session = ConfigurationSession(Configurator(MODEL), customer_id="C1")
    step = session.choose("road")
    ruled = {(n, v): why for n, v, why in step.ruled_out}
    assert ruled[("carrier", True)] == "road selected"
    assert ruled[("suspension", True)] == "road selected"
    assert ("mountain", False) in dict(step.forced).items()
    with pytest.raises(
        ConfigurationConflictError, match="carrier cannot be selected now: road selected"
    ):
        session.choose("carrier")
    assert session.choices == {"road": True}
    assert not session.engine.check(session.complete())
    session.undo()
    assert session.possible["carrier"] == {True, False}
    session.choose("suspension")
    records = session.to_interactions()
    log = InteractionLog()
    assert log.append(records).stored == 1
    assert log.history("C1")["payload"].iloc[0]["option"] == "suspension"
