"""Where the emulator's state is written as it changes: nowhere (`NullStore`) or SQLite."""
