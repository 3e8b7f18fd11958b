"""Registers the driftless extension on moto's own backends and responses.

Each ext_* module adds or fixes operations on moto's response classes (so
moto's request parsing and model-driven response serialisation are used) and
keeps all state on moto's backend objects.
"""

_applied = False


def apply() -> None:
    global _applied
    if _applied:
        return
    from . import ext_backup, ext_backup_recovery, ext_backup_vault, ext_cloudtrail, ext_cloudwatch, ext_cloudwatch_metric_data, ext_config, ext_config_eval, ext_config_packs, ext_config_recorder, ext_config_rules, ext_logs, ext_logs_metric_filters, ext_ssm, ext_tagging

    for ext in (ext_ssm, ext_backup, ext_backup_recovery, ext_backup_vault, ext_logs, ext_logs_metric_filters, ext_cloudwatch, ext_cloudwatch_metric_data, ext_tagging, ext_cloudtrail, ext_config, ext_config_packs, ext_config_recorder, ext_config_rules, ext_config_eval):
        ext.apply()
    _applied = True
