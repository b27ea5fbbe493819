from .events import event_give_up, event_process, event_replay, event_store
from .schedule import events_sweep
from .sync import customer_sync, sync_record_failed, sync_record_retry, sync_retry

__all__ = [
    "customer_sync",
    "event_give_up",
    "event_process",
    "event_replay",
    "event_store",
    "events_sweep",
    "sync_record_failed",
    "sync_record_retry",
    "sync_retry",
]
