"""The demo: the Discord, X, Mastodon and Bluesky emulators on loopback, the real `newsbot run`
on a schedule that fires every few seconds, an editor, and a reader.

Nothing here needs an account or the network beyond 127.0.0.1. The editor subscribes three
channels and saves the issue file in the folder newsbot watches; newsbot publishes it on its
own at the next firing, to Discord, X, Mastodon and Bluesky. The demo prints, with rich, what a
reader and the editor see. With `keep`, everything stays up afterwards and a person plays the
reader, and the editor reviewing what readers suggested.
"""
