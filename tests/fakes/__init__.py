"""Small fakes of the outside services we talk to (Twilio), served on loopback or called in-process."""
