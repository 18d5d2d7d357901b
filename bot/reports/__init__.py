"""Report artefacts built from the pure figures of ``sla/`` (charts; text lives in ``sla.summary``)."""
