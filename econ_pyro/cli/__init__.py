"""Command-line interface (`econ-pyro`)."""
