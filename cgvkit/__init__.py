"""CGV and recovery kit: clause library, company packs, dunning runs, playbook site."""

__version__ = "0.1.0"
