"""People, units in a hierarchy, roles and invite codes."""
