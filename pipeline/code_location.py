"""The Dagster code location ``dagster dev -w workspace.yaml`` loads: the definitions of the
project ``$COMMUNITY_CONFIG`` names, else of the demo (pipeline.definitions.default_definitions)."""

from pipeline.definitions import default_definitions

defs = default_definitions()
