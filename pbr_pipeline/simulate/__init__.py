"""`pbr simulate`: the real history re-run under another configuration (spec/outputs.md, "Simulation")."""


class SimulationError(Exception):
    """A simulation that must not start (or cannot go on); the message says why, in one line."""
