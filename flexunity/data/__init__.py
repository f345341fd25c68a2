"""Profiles in and out (pandas), pilot scenarios, validation with clear errors."""
