"""Forward-auth for reverse proxies: the check answered ahead of routing (check), the sign-in it sends browsers to
(sign_in), the proxied targets and settings (target), and the JSON 401 for API clients (json_answer).

target is one of the Bridge's parts (through sessions.runtime) and imports only config and policies; check and sign_in
sit with admin at the top, above endpoints and built_in_sign_in.
"""
