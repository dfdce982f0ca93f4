"""The module the ``dagster_dg_cli.registry_modules`` entry point names: ``dg`` lists
the components it exports."""

from airlift_component.component.component import AirliftComponent as AirliftComponent

__all__ = ["AirliftComponent"]
