"""Treatment-plan logic (pure): measurable objectives, taper schedules, the intervention
library, pathway templates, and plan-version diffs. No Django imports."""
