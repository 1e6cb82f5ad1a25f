# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The AWX API double (awx_api.py) for the tests of this folder, on 127.0.0.1 and a free port.

Each test gets an AWX of its own, holding only what a fresh AWX holds (the managed credential types, the
instance groups, an execution environment, the Default organization, the admin user), so that a test's
objects and requests are its own.
"""

import secrets
import threading

import pytest

from awx_api import AwxApi


@pytest.fixture
def awx_api():
    """The running double: .url, .user, .password, .objects(kind), .requests and .writes()."""
    server = AwxApi(('127.0.0.1', 0), 'admin', secrets.token_hex(8))
    # A short poll: shutdown() waits for it, once per test.
    thread = threading.Thread(target=server.serve_forever, kwargs={'poll_interval': 0.05}, name='awx-api-double',
                              daemon=True)
    thread.start()
    try:
        yield server
    finally:
        server.shutdown()
        server.server_close()
        thread.join(timeout=10)
