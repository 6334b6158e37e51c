"""Awards: the intent to award, the protest window, and the award in force."""
