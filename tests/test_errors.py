import pytest
from sklearn.exceptions import NotFittedError as SklearnNotFittedError

from one2one import errors


@pytest.mark.parametrize(
    ("exc", "builtin"),
    [
        (errors.DataContractError, ValueError),
        (errors.NotFittedError, SklearnNotFittedError),
        (errors.ConvergenceError, RuntimeError),
        (errors.ConsentError, PermissionError),
        (errors.ConfigurationConflictError, ValueError),
        (errors.StorageError, OSError),
        (errors.MissingDependencyError, ImportError),
    ],
)
def test_every_error_is_a_one2one_error_and_the_fitting_builtin(exc, builtin):
    assert issubclass(exc, errors.One2OneError)
    assert issubclass(exc, builtin)


def test_not_fitted_is_caught_by_sklearn_handlers():
    with pytest.raises(SklearnNotFittedError, match="not fitted"):
        raise errors.NotFittedError("BetaGeoModel is not fitted yet")


def test_context_is_kept_as_attributes():
    e = errors.DataContractError("bad", column="value", value=-3.0, row=7)
    assert (e.column, e.value, e.row, str(e)) == ("value", -3.0, 7, "bad")
    c = errors.ConsentError("no", customer_id="c1", purpose="marketing", channel="email")
    assert (c.customer_id, c.purpose, c.channel) == ("c1", "marketing", "email")
    k = errors.ConfigurationConflictError("x", rules=["r1"], choices=["a", "b"])
    assert (k.rules, k.choices) == (("r1",), ("a", "b"))
    assert errors.StorageError("s", path="/tmp/x").path == "/tmp/x"
    assert errors.MissingDependencyError("m", extra="plot").extra == "plot"
    assert errors.ConvergenceError("c", result={"nit": 3}).result == {"nit": 3}


def test_warnings_are_user_warnings():
    assert issubclass(errors.ConvergenceWarning, errors.One2OneWarning)
    assert issubclass(errors.DataWarning, UserWarning)


def test_all_is_complete_and_sorted():
    public = {
        n
        for n, v in vars(errors).items()
        if isinstance(v, type) and v.__module__ == errors.__name__
    }
    assert set(errors.__all__) == public
    assert errors.__all__ == sorted(errors.__all__)
