"""The shared cache when there is no Redis: Django's database cache with an atomic ``incr``.

Django's ``DatabaseCache`` is shared by every process using the database (the three gunicorn
workers of ``make run``, the worker, commands), but its ``incr`` is a ``get`` then a ``set``: two
processes can read the same count and both write count + 1, and the ``set`` restarts the
expiry. Here ``incr`` first writes the row (``UPDATE … SET expires = expires``), which takes
SQLite's write lock or PostgreSQL's row lock until the transaction ends, then reads and writes
the new value keeping its expiry: increments queue, none is lost, on both engines.
"""

from __future__ import annotations

import base64
import pickle

from django.core.cache.backends.db import DatabaseCache as DjangoDatabaseCache
from django.db import connections, router, transaction
from django.utils.timezone import now as tz_now


class DatabaseCache(DjangoDatabaseCache):
    def incr(self, key, delta=1, version=None):
        key = self.make_and_validate_key(key, version=version)
        db = router.db_for_write(self.cache_model_class)
        connection = connections[db]
        quote = connection.ops.quote_name
        table, cache_key, value, expires = (quote(name) for name in (self._table, "cache_key", "value", "expires"))
        now = connection.ops.adapt_datetimefield_value(tz_now().replace(microsecond=0))
        with transaction.atomic(using=db), connection.cursor() as cursor:
            cursor.execute(f"UPDATE {table} SET {expires} = {expires} WHERE {cache_key} = %s", [key])
            cursor.execute(f"SELECT {value} FROM {table} WHERE {cache_key} = %s AND {expires} > %s", [key, now])
            row = cursor.fetchone()
            if row is None:
                raise ValueError(f"Key '{key}' not found.")
            new_value = pickle.loads(base64.b64decode(row[0].encode())) + delta
            encoded = base64.b64encode(pickle.dumps(new_value, self.pickle_protocol)).decode("latin1")
            cursor.execute(f"UPDATE {table} SET {value} = %s WHERE {cache_key} = %s", [encoded, key])
        return new_value
