"""Custom-auth options may carry credentials: they never show in a repr."""

from airlift_component.config.airlift_yaml.model import CustomAuth, Instance


def test_custom_auth_options_are_not_in_repr() -> None:
    auth = CustomAuth.model_validate(
        {"type": "custom", "class": "pkg.mod:Auth", "options": {"api_key": "s3cret-value"}}
    )
    instance = Instance.model_validate(
        {"name": "a", "url": "https://airflow.example.com", "auth": auth.model_dump(by_alias=True)}
    )
    assert "s3cret-value" not in repr(auth)
    assert "s3cret-value" not in repr(instance)
    assert "s3cret-value" not in str(instance)
