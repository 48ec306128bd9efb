"""Socket plumbing shared by every consumer: frames in and out, dispatch, origins, daphne."""
