"""runserver whose public URL follows the address it serves on (unless SIGIL_PUBLIC_URL is set),
so threat references, badges, `sigil lookup` links and the token issuer name the port in use."""
from whitenoise.runserver_nostatic.management.commands.runserver import Command as RunserverCommand

from sigil.public_url import embedded_public_url, follow_server_address


class Command(RunserverCommand):
    def run(self, **options):
        # handle() has parsed ADDRPORT into self.addr/self.port; a bare port reads as localhost.
        addrport = options.get("addrport") or ""
        url = embedded_public_url("" if addrport.isdigit() or not addrport else self.addr, self.port)
        if follow_server_address(url):
            self.stdout.write(f"Public URL (links, token issuer): {url}; set SIGIL_PUBLIC_URL to fix one")
        super().run(**options)
