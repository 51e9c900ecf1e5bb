"""利用規約・プライバシーポリシー・問い合わせ先: versioned documents and people's consent.

Each edit publishes a new version (nothing published is changed afterwards); sign-up
records consent to the current terms and privacy policy, and a version that asks for it
makes signed-in users consent again (``legal.middleware``). The rules are in
``legal.services``; the pages in ``web/public/legal.py`` and ``web/coordinator/legal.py``.
"""
