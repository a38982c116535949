"""The service's side of the work: jobs and their records in the database (``jobs``),
stored files (``blobs``), watched folders (``ingestion``), API keys (``apikeys``), and
the queue that sends jobs to the workers (``queue``)."""
