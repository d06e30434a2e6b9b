"""The features: what is promised. A package only so that the installed tool carries them
(as logoutspec.features) beside the step definitions that run them."""
