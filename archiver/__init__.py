"""archiver: a records archive for public school districts."""
