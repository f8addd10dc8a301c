"""Cross-language word lists for ticket matching, grouped by concept, each with en/de/fr forms.

General language knowledge only: what customers call the parts of a web product, how they
describe a failure, and what they ask when they ask something other than "is it broken?".
Nothing here names a particular incident; incident and component wording comes from the data.

Form syntax (one comma-separated string per language; forms are stemmed like ticket text, so
"delay" also covers "delays" and "delayed"):
    =form     only in a ticket of that language ("comment" is an English noun, "plus" English too)
    !form     the word as written, not its stem ("settings" would stem to "set"); stems shorter
              than four letters are never trusted ("devis" -> "dev"), the word is used instead
    ^form     only at the start of a sentence or clause ("^can we" asks; "we can" states)
    a * b     exactly one word between a and b ("^wie * ich": "Wie stelle ich ...")
    a ... b   b after a, at most four words between ("ne ... plus")
"""
from __future__ import annotations

from typing import NamedTuple

OBJECT, SYMPTOM, WEAK, CONTEXT, INTENT, MARKER = "object", "symptom", "weak", "context", "intent", "marker"


class Concept(NamedTuple):
    kind: str
    label: str
    en: str
    de: str
    fr: str


C = Concept
CONCEPTS: dict[str, Concept] = {
    # --- things a customer uses (matched against component names/descriptions and incident texts)
    "signin": C(OBJECT, "sign-in",
                "sign in, sign on, signin, log in, login, logon, log on, single sign on, sso, saml, authentication, authenticate, credentials, identity provider, idp, two factor, 2fa, mfa",
                "anmelden, anmeldung, einloggen, eingeloggt, anmeldeseite, login seite, login, log in, authentifizierung, authentifizieren, zugangsdaten, single sign on, sso, identity provider, zwei faktor",
                "se connecter, =connecter, connexion, s identifier, identification, authentification, authentifier, identifiants, authentification unique, fournisseur d identité, ouvrir une session, login"),
    "web_app": C(OBJECT, "the web app",
                 "dashboard, web app, webapp, app, application, portal, customer portal, console, web interface, user interface, ui, website, web site, frontend, control panel, admin panel, platform, software, web page, home page, homepage, start page",
                 "dashboard, oberfläche, benutzeroberfläche, weboberfläche, konsole, portal, kundenportal, anwendung, webanwendung, web app, app, webseite, website, frontend, plattform, software, startseite",
                 "tableau de bord, interface, interface web, portail, portail client, console, application, appli, site web, =site, espace client, plateforme, logiciel, page web, page d accueil"),
    "email": C(OBJECT, "email",
               "email, e mail, mail, inbox, mailbox, spam folder, junk folder, newsletter",
               "e mail, email, mail, postfach, posteingang, spamordner, spam ordner",
               "e mail, email, courriel, mail, mél, boîte mail, boîte de réception, boîte e mail, courrier indésirable, spams"),
    "message": C(OBJECT, "messages",
                 "message, notification, alert, invitation, invite, link, verification code, confirmation code, one time code, otp, magic link",
                 "nachricht, benachrichtigung, einladung, link, bestätigungscode, zugangscode",
                 "message, notification, alerte, invitation, lien, code de vérification, code de confirmation"),
    "password": C(OBJECT, "password", "password, passphrase", "passwort, kennwort", "mot de passe, mdp"),
    "api": C(OBJECT, "the API", "api, rest api, endpoint, sdk, graphql", "api, schnittstelle, endpunkt", "api, interface de programmation, point de terminaison"),
    "webhook": C(OBJECT, "webhooks", "webhook, callback", "webhook, callback", "webhook, rappel http"),
    "database": C(OBJECT, "the database", "database, db, sql", "datenbank, db", "base de données, bdd"),
    "cdn": C(OBJECT, "static content", "cdn, content delivery, static assets, assets, static files", "cdn, statische dateien", "cdn, fichiers statiques, ressources statiques"),
    "media": C(OBJECT, "images and videos", "image, picture, photo, video, thumbnail", "bild, foto, video, vorschaubild", "image, photo, vidéo, miniature"),
    "download": C(OBJECT, "downloads", "download, downloads", "download, herunterladen", "téléchargement, télécharger"),
    "upload": C(OBJECT, "uploads", "upload, attachment", "hochladen, upload, anhang", "téléverser, upload, pièce jointe"),
    "file": C(OBJECT, "files", "file, document, pdf", "datei, dokument, pdf", "fichier, document, pdf"),
    "search": C(OBJECT, "search", "search, search results, full text search", "=suche, =suchen, suchfunktion, suchergebnisse, volltextsuche", "recherche, rechercher, chercher, résultats de recherche"),
    "report": C(OBJECT, "reports", "report, reporting, analytics, statistics, chart", "bericht, auswertung, statistik, diagramm", "rapport, statistiques, graphique"),
    "export": C(OBJECT, "export/import", "export, import, csv", "export, exportieren, import, importieren, csv", "export, exporter, import, importer, csv"),
    "payment": C(OBJECT, "payments", "payment, checkout, card payment", "zahlung, bezahlung, kasse, bezahlen", "paiement, payer, caisse"),
    "sms": C(OBJECT, "SMS", "sms, text message", "sms", "sms, texto"),
    "mobile": C(OBJECT, "the mobile app", "mobile app, ios, android, smartphone, mobile", "mobile app, handy, smartphone, ios, android", "application mobile, appli mobile, smartphone, mobile, ios, android"),
    "sync": C(OBJECT, "synchronisation", "sync, synchronization, synchronisation, integration", "synchronisierung, synchronisation, sync, integration", "synchronisation, sync, integration"),
    "storage": C(OBJECT, "storage", "storage, backup", "speicher, speicherplatz, sicherung, backup", "stockage, sauvegarde"),
    "chat": C(OBJECT, "chat", "chat, live chat, !messaging", "chat, livechat", "chat, tchat, messagerie"),
    "meeting": C(OBJECT, "calls and meetings", "video call, voice call, phone call, conference call, video conference, meeting", "videokonferenz, videocall, anruf, telefonat, meeting, besprechung", "appel vidéo, appel audio, visio, visioconférence, réunion"),
    "calendar": C(OBJECT, "calendar", "calendar, appointment", "kalender, =termin, terminbuchung", "calendrier, agenda, rendez vous"),
    # --- what customers report (the part that makes a ticket an incident report)
    "outage": C(SYMPTOM, "outage",
                "down, outage, offline, unavailable, not available, unreachable, inaccessible, not accessible, not working, does not work, stopped working, broken, dead, downtime, not loading, will not load, does not load, unusable, 503, service unavailable",
                "ausgefallen, ausfall, fällt ... aus, fallen ... aus, funktioniert ... nicht, funktionieren ... nicht, lädt ... nicht, laden ... nicht, startet ... nicht, öffnet ... nicht, offline, nicht erreichbar, unerreichbar, nicht verfügbar, funktioniert nicht, funktioniert nicht mehr, geht nicht, geht nicht mehr, kaputt, störung, nicht nutzbar, nicht benutzbar, unbenutzbar, lädt nicht, 503",
                "en panne, panne, hors ligne, hors service, inaccessible, indisponible, ne fonctionne pas, ne fonctionne plus, ne marche pas, ne marche plus, fonctionne plus, marche plus, fonctionnent plus, marchent plus, down, coupure, interruption, inutilisable, ne charge pas, ne charge plus, 503"),
    "error": C(SYMPTOM, "errors",
               "error, errors, error page, error message, exception, fail, fails, failed, failing, failure, crash, crashes, crashed",
               "fehler, fehlermeldung, fehlerseite, fehlgeschlagen, schlägt fehl, scheitern, scheitert, absturz, abgestürzt, stürzt ab, stürzt ... ab, stürzen ... ab, stürzte ... ab",
               "erreur, message d erreur, page d erreur, échec, échoue, échouer, échouent, plantage, =plante, crash"),
    "server_error": C(SYMPTOM, "server error", "500, server error, internal server error, internal error", "500, serverfehler, interner serverfehler, interner fehler", "500, erreur serveur, erreur du serveur, erreur interne"),
    # a gateway alone is a thing (a payment or smart-meter gateway), only a bad one is a symptom
    "gateway": C(SYMPTOM, "bad gateway", "502, bad gateway, gateway error, proxy error", "502, gateway fehler, proxy fehler, bad gateway", "502, erreur de passerelle, bad gateway, erreur proxy"),
    "timeout": C(SYMPTOM, "hangs or times out",
                 "504, timeout, time out, timed out, hangs, hanging, stuck, keeps stopping, stops, stalls, stalling, load forever, freezes, frozen, spinning, loads forever, nothing happens, no response, not responding, unresponsive",
                 "504, timeout, zeitüberschreitung, hängt, hängen, laden ewig, lädt ewig, hält an, halten an, anhalten, bleibt stehen, bleiben stehen, stoppt, hängt sich auf, friert ein, eingefroren, lädt ewig, passiert nichts, passiert nix, keine reaktion, reagiert nicht",
                 "504, timeout, délai d attente, s arrête, s arrêtent, se fige, se figent, se bloque, se bloquent, charge sans fin, tourne sans fin, délai dépassé, bloqué, bloquée, figé, tourne en boucle, charge indéfiniment, rien ne se passe, ne se passe rien, ne répond pas, ne répond plus"),
    "slow": C(SYMPTOM, "slowness",
              "slow, slowly, sluggish, latency, takes ages, takes forever, take * minutes, take * seconds, performance, stutter, stutters, choppy, buffering, buffers, lagging",
              "langsam, träge, ladezeit, dauert ewig, dauert * minuten, dauert * sekunden, ruckelt, ruckeln, abgehackt, performance, lange ladezeiten, puffert, buffert, =stockt, =stocken",
              "lent, lente, lenteur, ralenti, ralentissement, ralentis, saccade, saccadent, prend * minutes, prennent * minutes, performance, rame, mise en mémoire tampon, charge en boucle"),
    "delay": C(SYMPTOM, "delay",
               "delay, delayed, late, arrives late, lag, lagging, backlog, queued, queue, catching up, only after, hours later, minutes later, take * minutes, take * hours",
               "verzögert, verzögerung, verspätet, verspätung, zu spät, rückstand, warteschlange, erst nach, stunden später, minuten später, dauert * minuten, dauert * stunde, dauert * stunden",
               "retard, en retard, retardé, décalage, file d attente, arriéré, qu après, seulement après, heures plus tard, minutes plus tard, mettent * heure, mettent * heures, mettent * minutes, met * heure, met * heures, met * minutes"),
    "not_received": C(SYMPTOM, "not received",
                      "where is my, where are my, where s my, not received, still ... not, never received, did not receive, have not received, not arrived, never arrived, never came, did not arrive, has not arrived, never got, still waiting, waiting for, not receive, not receiving, no longer receive, not getting, not get, not gotten, not * yet",
                      "wo ist mein, wo ist meine, wo sind meine, wo sind unsere, wo bleibt, wo bleiben, nicht erhalten, nie erhalten, nicht bekommen, nicht angekommen, nie angekommen, kommt nicht an, kommen nicht an, kommt nie an, nicht zugestellt, nicht gekommen, noch nicht da, warten auf, wartet, immer noch nicht, bekommen ... keine, bekomme ... keine, erhalten ... keine, erhalte ... keine, kommen keine, kommt keine, kommt ... nicht an, kommen ... nicht an, kam ... nicht an, kamen ... nicht an",
                      "où est mon, où est ma, où sont mes, où sont nos, où en est, pas reçu, non reçu, jamais reçu, pas arrivé, jamais arrivé, pas parvenu, toujours pas, attend depuis, attendons depuis, toujours en attente, non livré, ne reçois, ne recevons, ne reçoit, ne reçoivent"),
    "no_results": C(SYMPTOM, "empty results",
                    "no results, returns nothing, nothing found, nothing shows, nothing loads, nothing at all, empty, blank page, blank screen, white page",
                    "keine ergebnisse, keine treffer, liefert nichts, nichts gefunden, nichts mehr, leer, leere seite, weiße seite",
                    "aucun résultat, renvoie ... rien, plus rien, rien trouvé, vide, page blanche, écran blanc"),
    "read_only": C(SYMPTOM, "read-only", "read only, cannot save, unable to save", "schreibgeschützt, nur lesend, nur lesbar, speichern nicht möglich", "lecture seule, impossible d enregistrer"),
    "disconnect": C(SYMPTOM, "dropped connections",
                    "disconnect, disconnects, disconnected, drops, dropping, dropped, cut off, connection lost, lost connection, interrupted",
                    "bricht ... ab, brechen ... ab, abgebrochen, abbruch, verbindungsabbruch, getrennt, verbindung verloren, unterbrochen",
                    "se coupe, se coupent, coupé, coupée, déconnecté, déconnectés, interrompu, interrompue, connexion perdue, perte de connexion"),
    "missing": C(SYMPTOM, "missing data",
                 "missing, =lost, disappeared, vanished, not showing, not shown, does not show, do not show, not displayed, not visible, not generated, not created, nowhere to be found, is gone, are gone",
                 "!fehlt, !fehlen, verschwunden, verloren, erscheint nicht, erscheinen nicht, wird nicht angezeigt, werden nicht angezeigt, nicht angezeigt wird, nicht angezeigt werden, nicht sichtbar, nicht erstellt, nicht erzeugt, nicht generiert, nirgends, ist weg, sind weg, weg ist, weg sind",
                 "manquant, manquent, perdu, perdus, disparu, disparus, ne s affiche pas, ne s affichent pas, introuvable, introuvables, pas généré, pas créé, pas visible, n apparaît pas, n apparaissent pas"),
    "wrong": C(SYMPTOM, "wrong data", "wrong, incorrect, inconsistent, duplicate, duplicated, twice, doubled", "falsch, fehlerhaft, inkonsistent, doppelt, zweimal, mehrfach", "incorrect, faux, erroné, incohérent, en double, deux fois, plusieurs fois"),
    "declined": C(SYMPTOM, "declined or rejected",
                  "declined, rejected, refused, denied, not accepted, bounced, returns an error",
                  "abgelehnt, abgewiesen, zurückgewiesen, verweigert, nicht akzeptiert, nicht angenommen",
                  "refusé, refusée, refusés, refusées, rejeté, rejetée, rejetés, décliné, déclinée, pas accepté, non accepté"),
    "pending": C(SYMPTOM, "stuck or pending",
                 "pending, stuck, stays, sits there, still processing, still in progress, not processed, never processed, never completes, not completed, waiting, on hold",
                 "ausstehend, hängt, hängen, hängen fest, steckt fest, bleibt, bleiben, in bearbeitung, in verarbeitung, nicht verarbeitet, nicht abgeschlossen, wartet, warten",
                 "en attente, bloqué, bloquée, bloqués, bloquées, coincé, =reste, =restent, en cours de traitement, pas traité, non traité, jamais traité"),
    "outdated": C(SYMPTOM, "outdated",
                  "outdated, out of date, stale, not updated, not updating, not refreshed, old status, not up to date",
                  "veraltet, nicht aktualisiert, aktualisiert ... nicht, alter stand, alten stand, nicht aktuell",
                  "pas à jour, obsolète, pas mis à jour, plus mis à jour, ancien statut, pas actualisé"),
    "cannot": C(SYMPTOM, "cannot",
                "cannot, can not, unable, not able, impossible, no longer, not possible, anymore, greyed out, grayed out, will not send, does not send, not sending, does not trigger, not triggering",
                "kann ... nicht, können ... nicht, konnte ... nicht, konnten ... nicht, kann ... nichts, können ... nichts, nicht möglich, unmöglich, nicht mehr, keine ... möglich, kein ... möglich, ausgegraut, löst ... nicht aus, sendet ... nicht",
                "impossible, grisé, grisée, ne se déclenche pas, ne se déclenche plus, ne se déclenchent plus, n arrive pas, n arrivons pas, n arrivent pas, ne peut pas, ne peux pas, ne pouvons pas, ne peuvent pas, plus possible, n ... plus"),
    "negation": C(WEAK, "negation", "not, never, no, without", "nicht, kein, keine, keinen, keins, keinem, keiner, nie, nichts, nix, ohne", "ne ... pas, ne ... plus, ne ... rien, ne ... jamais, n ... pas, n ... rien, n ... jamais, aucun, aucune, sans"),
    # --- weak support for "this is about something happening now"
    "widespread": C(CONTEXT, "affects many users",
                    "whole team, entire team, all users, all our users, everyone, nobody, all customers, several users, multiple users, all of us",
                    "ganzes team, ganze team, gesamtes team, alle nutzer, alle benutzer, alle mitarbeiter, niemand, mehrere nutzer, alle kollegen",
                    "toute l équipe, tous les utilisateurs, tous nos utilisateurs, plusieurs utilisateurs, tous les collaborateurs"),
    "status_question": C(CONTEXT, "asks about the current state",
                         "how long, any update, eta, known issue, on your end, on your side, is it you, are you aware",
                         "wie lange, bekanntes problem, an euch, bei euch, bei ihnen, ihrerseits, eurerseits",
                         "combien de temps, problème connu, de votre côté, chez vous, êtes vous au courant"),
    "recent": C(CONTEXT, "started recently",
                "since, suddenly, right now, currently, this morning, today, at the moment",
                "seit, plötzlich, gerade, aktuell, momentan, heute, derzeit",
                "depuis, soudain, soudainement, actuellement, en ce moment, ce matin, aujourd hui"),
    # --- other things a ticket can be about (each costs score unless the incident's symptom is also reported)
    "account": C(INTENT, "a password or account matter",
                 "forgot, forgotten, reset my password, reset password, change my password, change password, new password, locked out, account locked, locked, unlock, delete my account, delete account, change my email address, add a user, remove a user",
                 "vergessen, passwort zurücksetzen, zurücksetzen, passwort ändern, neues passwort, gesperrt, entsperren, konto löschen, e mail adresse ändern, nutzer hinzufügen",
                 "oublié, réinitialiser, réinitialisation, changer mon mot de passe, nouveau mot de passe, compte bloqué, verrouillé, débloquer, supprimer mon compte, changer mon adresse, ajouter un utilisateur"),
    "billing": C(INTENT, "billing",
                 "invoice, our invoice, your invoice, billing, =charged us, subscription fee, pricing, vat, receipt for",
                 "rechnung, ihre rechnung, abrechnung, abgebucht, abbuchung, abonnement, abo, preisliste, mehrwertsteuer, quittung",
                 "facture, votre facture, facturation, prélevé, prélèvement, abonnement, tarification, grille tarifaire, tva, reçu de paiement"),
    "compensation": C(INTENT, "a refund or credit",
                      "refund, credit note, a credit, service credit, compensation, compensate, reimburse, reimbursement, waive, goodwill, discount, sla credit, penalty, fee, fees, cover the costs, cover the cost, cover our costs, cover this, cover it, pay for, damages",
                      "gutschrift, erstatten, erstattung, erstattet, entschädigung, entschädigen, kulanz, rabatt, nachlass, vertragsstrafe, zurückerstatten, ausgleich, gebühr, gebühren, kosten, übernehmt, übernehmen, schadenersatz, übernimmt, gutschreiben, gutschreibt, gutgeschrieben, schreibt ... gut",
                      "rembourser, remboursement, un avoir, d un avoir, l avoir, cet avoir, dédommagement, dédommager, indemnisation, indemniser, geste commercial, compensation, remise, pénalité, pénalités, frais, prendre en charge, preniez en charge, dommages"),
    "contract": C(INTENT, "a contract or offer",
                  "contract, renewal, renew, quote, offer, licence, license, cancel my subscription, cancellation, upgrade my plan",
                  "vertrag, verlängerung, verlängern, angebot, lizenz, kündigung, kündigen, gekündigt, tarifwechsel",
                  "contrat, renouvellement, renouveler, devis, offre, licence, résiliation, résilier, changement de formule"),
    "settings": C(INTENT, "a setting or configuration",
                  "!settings, !setting, configuration, configure, !customise, !customize, !customising, !customizing, !customisation, !customization, template, branding, preferences, language, column, layout, certificate",
                  "einstellung, einstellungen, konfiguration, konfigurieren, einrichten, anpassen, vorlage, sprache, spalte, spalten, layout, zertifikat",
                  "paramètres, réglages, configuration, configurer, personnaliser, =modèle, charte graphique, préférences, langue, colonne, colonnes, certificat"),
    "howto": C(INTENT, "how to do something",
               "^how do, ^how can, ^how to, ^how should, ^how does, ^where do, ^where can, ^where is, ^is it possible, ^can we, ^can i, ^could we, ^is there a way, ^is there any way, ^and how do, ^and how can, ^which format, ^which setting, ^which version, ^what format, ^what setting, any idea",
               "^wie * ich, ^wie * wir, ^wie * man, ^wo * ich, ^wo * wir, ^wo * man, ^kann man, ^können wir, ^ist es möglich, ^gibt es eine möglichkeit, ^gibt es einen weg, ^und wie * wir, ^und wie * ich, ^und wie * man, ^lässt sich, ^welches format, ^welche einstellung, ^welche version, ^was müssen wir, ^was muss ich",
               "=^comment, =^où, ^peut on, ^pouvons nous, ^puis je, ^est il possible, ^est ce possible, ^y a t il un moyen, ^et comment, ^est ce qu on peut, ^quel format, ^quel paramètre, ^quelle version, ^que devons nous"),
    "own_change": C(INTENT, "a change on the customer's side",
                    "since we changed, since we switched, since we swapped, since we updated, since we upgraded, since we installed, since we moved, since we rotated, since we migrated, after we changed, after we switched, after we updated, after we upgraded, after we installed, after we rotated, after updating, after upgrading, after our update, after the update to, we rotated, we changed our, we switched to, we swapped",
                    "seit wir, nachdem wir, nach dem update auf, nach unserem update, nach der umstellung auf, wir haben * umgestellt, haben wir * umgestellt",
                    "depuis que nous avons, depuis qu on a, après avoir changé, après avoir mis à jour, après la mise à jour vers, après notre mise à jour, nous avons changé, nous avons remplacé"),
    "feature": C(INTENT, "a new feature",
                 "feature request, new feature, would be nice, would be great, suggestion, roadmap, please add, ^could you add, ^can you add, ^would it be possible",
                 "neue funktion, feature request, funktionswunsch, wunsch, vorschlag, wäre schön, wäre toll, wäre praktisch",
                 "nouvelle fonctionnalité, suggestion, serait bien, serait pratique, demande d évolution, souhaiterions"),
    "report_request": C(INTENT, "an incident report",
                        "root cause, post mortem, postmortem, rca, incident report, outage report, what happened",
                        "ursache, ursachenanalyse, störungsbericht, vorfallsbericht, post mortem, was ist passiert",
                        "cause racine, cause profonde, rapport d incident, post mortem, ce qui s est passé"),
    "past": C(INTENT, "a past incident",
              "last week, last month, previous week, earlier this week, a few days ago, the other day, past incident, was resolved, yesterday s",
              "letzte woche, letzten woche, vergangene woche, vergangenen woche, letzten monat, vor ein paar tagen, vor einigen tagen, neulich, wurde behoben, gestrigen",
              "la semaine dernière, semaine passée, le mois dernier, il y a quelques jours, l autre jour, a été résolu, d hier"),
    "non_production": C(INTENT, "a non-production environment",
                        "development environment, dev environment, staging, sandbox, test environment, test system, test instance",
                        "entwicklungsumgebung, testumgebung, testsystem, staging, sandbox, testinstanz",
                        "environnement de développement, environnement de test, recette, préproduction, pré production, staging, sandbox"),
    # --- markers combined by the matcher; status-update jargon hides the words inside it
    "jargon": C(MARKER, "status-update jargon", "investigating reports, reports of, reports that, we are investigating", "meldungen über, berichte über", "signalements de"),
    "maintenance": C(MARKER, "maintenance", "!maintenance, !maintenances, maintenance window, scheduled work, upgrade, migration, update", "wartung, wartungsarbeiten, wartungsfenster, upgrade, migration, umstellung, update, aktualisierung", "!maintenance, !maintenances, opération de maintenance, intervention technique, intervention planifiée, mise à niveau, migration, mise à jour"),
    "future": C(MARKER, "the future", "next week, next month, next, upcoming, tomorrow, tonight, =will, going to", "nächste, nächsten, nächster, morgen, wird, werden, kommende, kommenden, bevorstehend, anstehend", "prochain, prochaine, demain, sera, seront, va, vont, à venir"),
    "unaffected": C(MARKER, "not affected",
                    "not affected, unaffected, not impacted, can already, can still, are correct, is correct, we do not use, we are not using, we never use, are not affected, is not affected, nor, neither, work normally, works normally, working normally, runs normally, run normally, continue to work, continues to work, still work, still works, are fine, is fine, up to date, normally, fine, ran fine, runs fine, work fine, works fine, got it, received it, straight away, no problem, no problems, without problems, !work, !works, !worked, is ok, are ok, !ok, !okay, is there, are there, all there, arrive fine, arrived fine, as usual, was fine, were fine, worked fine, was working, were working, still worked, went through, came in fine",
                    "nicht betroffen, können bereits, kann bereits, können weiterhin, kann weiterhin, sind korrekt, ist korrekt, nutzen wir nicht, nutzen wir gar nicht, nutzen wir kein, nutzen wir keine, verwenden wir nicht, verwenden wir kein, verwenden wir keine, benutzen wir nicht, ebenso wenig, weder, funktioniert normal, funktionieren normal, laufen normal, läuft normal, funktionieren weiterhin, funktioniert weiterhin, arbeiten normal, wie gewohnt, normal, läuft alles, !läuft, !laufen, klappt, klappen, problemlos, ohne probleme, keine probleme, kein problem, funktioniert, funktionieren, haben sie schon, ist alles ok, alles gut, !funktioniert, !funktionieren, !ok, !okay, sind da, sind sie da, ist da, alles da, ist alles da, angekommen, hat sie schon, haben es schon, geklappt, ging noch, ging das noch, ging es noch, lief noch, hat noch funktioniert, haben noch funktioniert, kam noch an, kamen noch an",
                    "pas concerné, peuvent déjà, peut déjà, peuvent toujours, peut toujours, sont corrects, sont correctes, est correct, est correcte, n utilisons pas, n utilise pas, n utilisons plus, pas concernée, pas concernés, pas concernées, non concerné, non concernés, pas affecté, pas affectés, pas affectée, pas impacté, pas impactés, non impactés, ni, pas plus que, fonctionne normalement, fonctionnent normalement, continue de fonctionner, continuent de fonctionner, normalement, !fonctionne, !fonctionnent, =!marche, =!marchent, tout va bien, sans problème, sans souci, aucun problème, aucun souci, pas de problème, pas de souci, l ont reçue, l ont reçu, ça passe, passe bien, !ok, bien reçu, bien reçus, bien reçue, bien enregistré, bien enregistrés, bien enregistrées, sont là, arrive bien, arrivent bien, fonctionne bien, comme d habitude, fonctionnait, fonctionnaient, =marchait, =marchaient, =passait, =passaient, sont bien arrivées, sont bien arrivés, est bien arrivé, est bien arrivée, bien passé, bien passés"),
    # a workaround names what works: "as a workaround, switch to X" rules X out as the problem's
    "workaround": C(MARKER, "a workaround", "as a workaround, workaround, in the meantime you can, meanwhile you can, until then you can, you can switch, you can temporarily",
                    "als workaround, workaround, als umgehung, übergangsweise, in der zwischenzeit können sie, bis dahin können sie, weichen sie auf, ausweichen auf",
                    "solution de contournement, contournement, en attendant vous pouvez, dans l intervalle vous pouvez, vous pouvez passer, vous pouvez basculer"),
    "only": C(MARKER, "only", "only, limited to, restricted to, exclusively", "nur, ausschließlich, lediglich, beschränkt auf", "uniquement, seulement, seuls, seules, limité à, limitée à, exclusivement"),
    "request": C(MARKER, "a request",
                 "^please, ^could you, ^can you, ^would you, =^kindly, i would like, we would like, i d like, we d like, we need, i need, we expect, i expect, we ask, we request, we demand, i demand, we want, i want, we are entitled, we re entitled, should be refunded, should be credited, please refund, please credit, please confirm",
                 "^bitte, ^könnten sie, ^können sie, ^würden sie, ich möchte, wir möchten, ich hätte gerne, wir hätten gerne, wir bitten, ich bitte, wir benötigen, ich benötige, wir erwarten, erwarten wir, ich erwarte, erwarte ich, möchten wir, möchte ich, hätten wir gerne, hätte ich gerne, benötigen wir, brauchen wir, wir fordern, ich fordere, fordern wir, wir verlangen, ich verlange, wir wollen, ich will, bitten wir, bitte ich",
                 "^merci de, ^pourriez vous, ^pouvez vous, ^vous pouvez, ^vous pourriez, ^pourrais je, je voudrais, nous voudrions, je souhaite, nous souhaitons, j aimerais, nous aimerions, nous demandons, je demande, nous attendons, j attends, nous exigeons, j exige, nous voulons, je veux, nous réclamons, je réclame, ^svp"),
    # the customer's guess that it is a known problem ("Is this the macOS issue?"): a question naming an
    # incident, a maintenance or the status page says what they suspect, not what they see
    "incident_ref": C(MARKER, "a known problem",
                      "incident, issue, outage, problem, disruption, !maintenance, !maintenances, status page, known issue",
                      "störung, ausfall, problem, vorfall, wartung, statusseite, bekanntes problem",
                      "incident, panne, problème, perturbation, !maintenance, !maintenances, page de statut, problème connu"),
    "planned": C(MARKER, "planned", "=planned, scheduled, announced, ^do you plan, ^are you planning", "geplant, geplante, angekündigt, angekündigte, ^planen sie, ^plant ihr", "prévu, prévue, planifié, planifiée, annoncé, annoncée"),
}

# Qualifiers that narrow a thing down to a variant an update can rule out ("self-hosted runners", "certificates
# you upload yourself", "accounts with a dedicated IP"), paired across languages so that an English update meets
# a German ticket ("selbst gehostete Runner", "hochgeladenes Zertifikat", "dedizierte IP"). General language only;
# scope.py compares them as terms of their own ("@own"), they are no concepts of a ticket's topic.
QUALIFIERS: dict[str, tuple[str, str, str]] = {
    "own": ("self hosted, self managed, on premise, on premises, your own, our own, my own, yourself, yourselves, custom",
            "selbst gehostet, selbst gehostete, selbst gehosteten, selbstgehostet, selbstgehostete, selbstgehosteten, selbst betrieben, selbst betriebene, selbst betriebenen, eigene, eigenen, eigenes, eigener, eigenem, benutzerdefiniert, benutzerdefinierte, benutzerdefinierten, on premise",
            "auto hébergé, auto hébergée, auto hébergés, auto hébergées, vous même, vous mêmes, nous même, nous mêmes, votre propre, vos propres, notre propre, nos propres, mon propre, ma propre, mes propres, personnalisé, personnalisée, personnalisés, personnalisées, sur site, on premise"),
    "uploaded": ("uploaded, you upload, we upload, upload yourself, upload your own",
                 "hochgeladen, hochgeladene, hochgeladenes, hochgeladenen, hochgeladener, selbst hochladen",
                 "téléversé, téléversée, téléversés, téléversées, importé par vous"),
    "dedicated": ("dedicated", "dediziert, dedizierte, dedizierten, dedizierter, dediziertes", "dédié, dédiée, dédiés, dédiées"),
    "shared": ("shared", "geteilt, geteilte, geteilten, geteilter, gemeinsam genutzte, gemeinsam genutzten", "partagé, partagée, partagés, partagées, mutualisé, mutualisée, mutualisés, mutualisées"),
}

# Symptom families: a ticket reporting a symptom of the incident's family fits even without the same word.
FAMILIES: dict[str, frozenset[str]] = {
    "outage": frozenset({"failure"}), "error": frozenset({"failure"}), "server_error": frozenset({"failure"}),
    "gateway": frozenset({"failure"}), "cannot": frozenset({"failure"}), "no_results": frozenset({"failure"}),
    "read_only": frozenset({"failure"}), "disconnect": frozenset({"failure"}),
    "timeout": frozenset({"failure", "slowness"}), "slow": frozenset({"slowness"}),
    "delay": frozenset({"slowness"}), "not_received": frozenset({"slowness"}),
    "missing": frozenset({"data"}), "wrong": frozenset({"data"}), "outdated": frozenset({"data", "slowness"}),
    "declined": frozenset({"failure"}), "pending": frozenset({"slowness", "failure"}),
}
# What customers experience when an incident describes the key: "delayed" email means "not received yet".
IMPLIES: dict[str, frozenset[str]] = {
    "delay": frozenset({"not_received", "pending", "outdated"}), "pending": frozenset({"delay"}),
    "declined": frozenset({"error"}), "outage": frozenset({"cannot", "error", "timeout"}),
    "gateway": frozenset({"error"}), "server_error": frozenset({"error"}), "timeout": frozenset({"slow"}),
    "maintenance": frozenset({"outage", "cannot", "error", "timeout", "slow", "read_only", "pending"}),
}
# Where a customer sees a problem rather than what it is about: the web app, the mobile app, the API.
SURFACES = frozenset({"web_app", "mobile", "api"})
# Symptoms too vague to excuse a ticket that otherwise asks something else.
WEAK_SYMPTOMS = frozenset({"cannot", "negation"})

# Function words and support-desk small talk: never evidence for a match.
STOPWORDS = frozenset("""
a an the and or but if of to in on at by for from with without about into onto over after before since
is are was were be been being am do does did done have has had having will would can could should may might must
i me my we us our you your he she it its they them their this that these those there here what which who whom
when where why how all any some no not very just also too so than then now only still again please thanks thank
hello hi dear regards team best kind morning afternoon evening customer customers user users one two get got
der die das den dem des ein eine einen einem einer und oder aber wenn von zu im in an am auf mit ohne fur uber
nach vor seit ist sind war waren sein bin hat haben hatte wird werden kann konnen ich mich mein meine wir uns
unser unsere unseren sie ihr ihre es er dieser diese dieses hier da was wer wie wo warum auch noch nur schon
bitte danke hallo guten tag morgen gruss grusse viele freundlichen nutzer kunden kunde bei zum zur sehr
le la les un une des du de d l et ou mais si en dans sur pour par avec sans depuis avant apres est sont etait
etre ai avons avez ont je me mon ma mes nous notre nos vous votre vos il elle ils elles on ce cet cette ces
qui que quoi quand comment ou pourquoi aussi encore seulement deja merci bonjour cordialement utilisateur
utilisateurs client clients au aux tout tous toute toutes tres
""".split())
