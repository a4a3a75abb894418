#!/usr/bin/env python
import os
import sys

if __name__ == "__main__":
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "tdi.settings")
    # manage.py is the developer's tool: debug settings unless the environment says otherwise.
    # Production sets DJANGO_DEBUG=0 (see the README); gunicorn goes through wsgi.py instead.
    os.environ.setdefault("DJANGO_DEBUG", "1")
    from django.core.management import execute_from_command_line

    execute_from_command_line(sys.argv)
