"""Model serialisation (configs, JSON); HDF5 files come with the saving issue."""
