"""The QuerySet of every model kept in the audit history (DESIGN §11, "Audit").

django-simple-history records a row for each `save()` and `delete()`, but not for
`QuerySet.update()`: an update would change business data and leave no trace of who did it.
So the default manager of every tracked model refuses it, and so do the related managers built
from it (`project.reserves.update(...)`).
"""

from django.db import models

__all__ = ["TrackedQuerySet"]


class TrackedQuerySet(models.QuerySet):
    """A QuerySet whose `update()` is refused: write through `save()`, one object at a time.

    `_update()`, which `Model.save()` uses, still works, and so do `bulk_create()` and
    `bulk_update()`, which simple-history's `bulk_create_with_history` and
    `bulk_update_with_history` call before writing the history rows themselves.
    """

    def update(self, **kwargs):
        raise TypeError(
            f"QuerySet.update() on {self.model.__name__} writes no history row: use save() so "
            "that the change is kept in the history (bulk_update_with_history for many rows)."
        )

    update.alters_data = True

    def bulk_update(self, objs, fields, batch_size=None):
        # Django's bulk_update() writes each batch with update(): give it a plain QuerySet.
        plain = models.QuerySet(self.model, query=self.query.chain(), using=self._db)
        return plain.bulk_update(objs, fields, batch_size=batch_size)

    bulk_update.alters_data = True
