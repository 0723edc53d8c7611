"""ECG data: readers (PTB-XL, Challenge format, MIMIC-IV-ECG, synthetic), the published split
files, preprocessing, and the prepared memory-mapped cache (:class:`cache.ECGCache`)."""
