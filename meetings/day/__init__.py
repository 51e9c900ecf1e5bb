"""The day and after (当日と開催後) of a meeting: check-in (``attendance``), minutes, the
public report and its photos (``reports``), the post-meeting form whose wishes become
interest requests (``wishes``), and their API (``api``)."""
