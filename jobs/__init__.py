"""Long tasks as jobs: reindexing, dataset building, LoRA training + export, adapter evaluation.

A job's state lives in the store's database (``jobs`` table), so any web worker can answer for any job and
any job worker can run it. With ``HYANGGI_BROKER_URL`` the jobs go through Celery to `hyanggi worker`;
without it they run one at a time in a background thread of the process that started them.
"""
