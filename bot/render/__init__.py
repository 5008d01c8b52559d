"""Pure functions from newsletter models to what the platforms show; every limit lives here."""
