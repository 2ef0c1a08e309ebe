import { Migration } from '@mikro-orm/migrations';

/**
 * The audit trail held against the hub's own database role. The hub runs as a member of
 * `huitong_runtime` (`src/db/roles.ts` grants it, after every migration), which may only insert and
 * read the log and its checkpoints and only read the head: the head moves forward through
 * `audit_append` and is locked through `audit_lock_head`, both run with the owner's rights
 * (SECURITY DEFINER), and a trigger refuses to move it back, to rewrite it in place or to delete it.
 * Only the owner (who runs migrations) can switch triggers off; the checkpoints written outside the
 * database (`src/audit/checkpoint-file.ts`) catch what the owner does then.
 *
 * `audit_append` now takes a list of checkpoints, one at each multiple of the checkpoint interval
 * the batch passes, so the verifier knows exactly which checkpoints must exist.
 */
export class Migration20261202200001AuditRoles extends Migration {
  override async up(): Promise<void> {
    // Creating the group needs CREATEROLE; without it, an operator creates it (see README).
    this.addSql(`
      do $$ begin
        if not exists (select 1 from pg_roles where rolname = 'huitong_runtime') then
          begin
            create role huitong_runtime nologin;
          exception when insufficient_privilege then
            raise notice 'huitong_runtime does not exist and this role may not create it: create it as an administrator';
          end;
        end if;
      end $$;`);
    this.addSql('drop function audit_append(bigint, text, jsonb, bigint, text, jsonb);');
    this.addSql(`
      create function audit_append(expected_seq bigint, expected_hash text, entries jsonb, new_seq bigint, new_hash text, checkpoints jsonb)
      returns void language plpgsql security definer set search_path = public, pg_temp as $$
      declare
        head audit_head%rowtype;
      begin
        select * into head from audit_head for update;
        if head.seq <> expected_seq or head.hash <> expected_hash then
          raise exception 'audit head moved: now % %', head.seq, head.hash using errcode = 'serialization_failure';
        end if;
        -- The head only moves forward, by exactly the entries appended after it.
        if new_seq <> expected_seq + jsonb_array_length(entries)
           or exists (select 1 from jsonb_array_elements(entries) with ordinality e(v, i) where (v->>'seq')::bigint <> expected_seq + i)
           or (entries->-1->>'hash') is distinct from new_hash then
          raise exception 'audit append must follow the head with consecutive entries' using errcode = 'check_violation';
        end if;
        insert into audit_entry select * from jsonb_populate_recordset(null::audit_entry, entries);
        update audit_head set seq = new_seq, hash = new_hash;
        insert into audit_checkpoint (seq, hash, kid, jws)
        select seq, hash, kid, jws from jsonb_populate_recordset(null::audit_checkpoint, coalesce(checkpoints, '[]'::jsonb));
      end $$;`);
    // Row lock on the head for the runtime role, which may not SELECT ... FOR UPDATE itself.
    this.addSql(`
      create function audit_lock_head(out seq bigint, out hash text)
      language sql security definer set search_path = public, pg_temp as $$
        select seq, hash from audit_head for update
      $$;`);
    this.addSql(`
      create function audit_head_forward_only() returns trigger language plpgsql as $$
      begin
        if tg_op <> 'UPDATE' then
          raise exception 'audit_head cannot be removed: % refused', tg_op using errcode = 'insufficient_privilege';
        end if;
        if new.seq < old.seq or (new.seq = old.seq and new.hash <> old.hash) then
          raise exception 'audit_head only moves forward: % to % refused', old.seq, new.seq using errcode = 'insufficient_privilege';
        end if;
        return new;
      end $$;`);
    this.addSql('create trigger audit_head_forward_only before update on audit_head for each row execute function audit_head_forward_only();');
    this.addSql('create trigger audit_head_kept before delete or truncate on audit_head for each statement execute function audit_head_forward_only();');
  }

  override async down(): Promise<void> {
    this.addSql('drop trigger audit_head_kept on audit_head;');
    this.addSql('drop trigger audit_head_forward_only on audit_head;');
    this.addSql('drop function audit_head_forward_only();');
    this.addSql('drop function audit_lock_head();');
    this.addSql('drop function audit_append(bigint, text, jsonb, bigint, text, jsonb);');
  }
}
