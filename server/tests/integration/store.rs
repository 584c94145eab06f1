//! The store on SQLite and on PostgreSQL: migrations, bootstrap, accounts and the session table.

use std::collections::HashMap;

use app::domain::account::BOOTSTRAP_USER;
use app::error::AppError;
use app::service::{auth, password, AppState, ManualClock};
use app::store::entities::{cluster, sessions};
use app::store::session_store::DbSessionStore;
use app::store::users;
use sea_orm::{ColumnTrait, ConnectionTrait, EntityTrait, PaginatorTrait, QueryFilter};
use std::sync::Arc;
use time::OffsetDateTime;
use tower_sessions::session::{Id, Record};
use tower_sessions::SessionStore;

use crate::support::{add_user, backends, t0, Backend, TestDb};

fn state_on(db: &TestDb) -> AppState {
    AppState::new(db.db.clone(), Arc::new(ManualClock::new(t0())))
}

#[tokio::test]
async fn migrations_seed_the_cluster_and_the_super_user_group() {
    for backend in backends() {
        let db = TestDb::new(backend).await;
        let rows = cluster::Entity::find().all(&db.db).await.unwrap();
        assert_eq!(rows.len(), 1, "{backend:?}");
        assert_eq!(rows[0].name, "StandAloneCluster");
        assert_eq!(rows[0].security_mode, "non_secure");
        // Running the migrations again changes nothing.
        let again = app::store::connect(&db.url).await.unwrap();
        assert_eq!(cluster::Entity::find().count(&again).await.unwrap(), 1);
        again.close().await.unwrap();
        db.finish().await;
    }
}

#[tokio::test]
async fn bootstrap_creates_the_super_user_once_with_a_one_time_password() {
    for backend in backends() {
        let db = TestDb::new(backend).await;
        let state = state_on(&db);
        let generated = auth::bootstrap(&state, None).await.unwrap();
        let generated = generated.expect("a generated password is returned");
        let user = users::find_by_name(&db.db, BOOTSTRAP_USER)
            .await
            .unwrap()
            .unwrap();
        assert!(user.must_change_password, "{backend:?}");
        assert!(
            password::verify(&state.hashing, generated, user.password_hash)
                .await
                .unwrap()
        );
        assert_eq!(
            users::group_names(&db.db, user.id).await.unwrap(),
            vec!["SuperUserGroup".to_owned()]
        );
        assert_eq!(auth::bootstrap(&state, None).await.unwrap(), None);
        assert_eq!(users::count(&db.db).await.unwrap(), 1);
        db.finish().await;
    }
}

#[tokio::test]
async fn bootstrap_with_a_configured_password_needs_no_change() {
    for backend in backends() {
        let db = TestDb::new(backend).await;
        let state = state_on(&db);
        let err = auth::bootstrap(&state, Some("short")).await.unwrap_err();
        assert_eq!(err.field(), Some("CCMADMIN_BOOTSTRAP_PASSWORD"));
        assert_eq!(users::count(&db.db).await.unwrap(), 0, "nothing saved");

        let out = auth::bootstrap(&state, Some("a configured passphrase"))
            .await
            .unwrap();
        assert_eq!(out, None, "a configured password is not printed");
        let user = users::find_by_name(&db.db, BOOTSTRAP_USER)
            .await
            .unwrap()
            .unwrap();
        assert!(!user.must_change_password);
        db.finish().await;
    }
}

#[tokio::test]
async fn user_ids_are_unique() {
    for backend in backends() {
        let db = TestDb::new(backend).await;
        let state = state_on(&db);
        add_user(&state, "alice", "alice's long password").await;
        let hash = password::hash(&state.hashing, "another long password".into())
            .await
            .unwrap();
        let again = users::create(&db.db, "alice", hash, false, &[], t0()).await;
        assert!(again.is_err(), "{backend:?}");
        let alice = users::find_by_name(&db.db, "alice").await.unwrap().unwrap();
        assert!(password::verify(
            &state.hashing,
            "alice's long password".into(),
            alice.password_hash
        )
        .await
        .unwrap());
        db.finish().await;
    }
}

#[tokio::test]
async fn host_password_reset_ends_the_users_sessions() {
    for backend in backends() {
        let db = TestDb::new(backend).await;
        let state = state_on(&db);
        add_user(&state, "bob", "bob's long password").await;
        let bob = users::find_by_name(&db.db, "bob").await.unwrap().unwrap();
        let store = DbSessionStore::new(db.db.clone(), db.db.clone());
        let mut record = login_record(bob.id);
        store.create(&mut record).await.unwrap();

        let err = auth::set_password_from_host(&state, "nobody", "long enough password", false)
            .await
            .unwrap_err();
        assert!(matches!(err, AppError::NotFound(_)));
        auth::set_password_from_host(&state, "bob", "a brand new password", true)
            .await
            .unwrap();
        let bob = users::find_by_name(&db.db, "bob").await.unwrap().unwrap();
        assert!(bob.must_change_password);
        assert_eq!(bob.version, 2);
        assert!(
            store.load(&record.id).await.unwrap().is_none(),
            "{backend:?}"
        );
        db.finish().await;
    }
}

fn login_record(user_id: i32) -> Record {
    let stamp = app::domain::session_policy::LoginStamp::new(user_id, t0());
    let mut data = HashMap::new();
    data.insert(
        app::store::session_store::LOGIN_KEY.to_owned(),
        serde_json::to_value(stamp).unwrap(),
    );
    Record {
        id: Id::default(),
        data,
        expiry_date: OffsetDateTime::now_utc() + time::Duration::minutes(30),
    }
}

#[tokio::test]
async fn session_store_saves_loads_expires_and_deletes() {
    for backend in backends() {
        let db = TestDb::new(backend).await;
        let state = state_on(&db);
        add_user(&state, "carol", "carol's long password").await;
        let carol = users::find_by_name(&db.db, "carol").await.unwrap().unwrap();
        let store = DbSessionStore::new(db.db.clone(), db.db.clone());

        let mut record = login_record(carol.id);
        store.create(&mut record).await.unwrap();
        let loaded = store.load(&record.id).await.unwrap().unwrap();
        assert_eq!(loaded.data, record.data, "{backend:?}");
        // The row is keyed by the id's hash, never the id itself.
        let row = sessions::Entity::find_by_id(app::store::session_store::stored_id(
            &record.id.to_string(),
        ))
        .one(&db.db)
        .await
        .unwrap()
        .unwrap();
        assert_eq!(row.user_id, Some(carol.id), "the row knows its user");

        record
            .data
            .insert("note".into(), serde_json::json!("updated"));
        store.save(&record).await.unwrap();
        assert_eq!(
            store.load(&record.id).await.unwrap().unwrap().data["note"],
            "updated"
        );

        let mut expired = login_record(carol.id);
        expired.expiry_date = OffsetDateTime::now_utc() - time::Duration::seconds(1);
        store.create(&mut expired).await.unwrap();
        assert!(store.load(&expired.id).await.unwrap().is_none());
        assert_eq!(store.delete_expired().await.unwrap(), 1);

        store.delete(&record.id).await.unwrap();
        assert!(store.load(&record.id).await.unwrap().is_none());
        let left = sessions::Entity::find()
            .filter(sessions::Column::UserId.eq(carol.id))
            .count(&db.db)
            .await
            .unwrap();
        assert_eq!(left, 0);
        db.finish().await;
    }
}

#[tokio::test]
async fn sqlite_readers_see_every_committed_write_and_cannot_write() {
    let db = TestDb::new(Backend::Sqlite).await;
    let read = app::store::connect_reader(&db.url, &db.db).await.unwrap();
    let state = state_on(&db).with_reader(read.clone());
    add_user(&state, "carol", "carol's long password").await;
    let carol = users::find_by_name(&read, "carol").await.unwrap();
    assert!(
        carol.is_some(),
        "a committed write is visible to the readers"
    );
    let refused = read
        .execute_unprepared("DELETE FROM users")
        .await
        .unwrap_err();
    assert!(
        refused.to_string().contains("readonly") || refused.to_string().contains("read-only"),
        "{refused}"
    );
    read.close().await.unwrap();
    db.finish().await;
}

/// A page's read of the reference data that began before a change was dropped from the cache
/// must not install its older copy after the drop: the TFTP files and the next page would be
/// built from it. On PostgreSQL a lock holds the read in the middle (SQLite's readers do not
/// wait), while the change is made and the cache dropped.
#[tokio::test]
async fn a_reference_copy_read_before_a_drop_is_never_installed_after_it() {
    use app::service::reference::ReferenceCache;
    use app::tftp::sgn::HashAlgorithm;
    use sea_orm::{Database, TransactionTrait};
    if !backends().contains(&Backend::Postgres) {
        return;
    }
    let db = TestDb::new(Backend::Postgres).await;
    let cache = Arc::new(ReferenceCache::default());
    let before = cache.get(&db.db).await.unwrap();
    assert_eq!(before.signature_hash, HashAlgorithm::Sha1);
    cache.invalidate();

    let other = Database::connect(&db.url).await.unwrap();
    let change = other.begin().await.unwrap();
    change
        .execute_unprepared("LOCK TABLE servers IN ACCESS EXCLUSIVE MODE")
        .await
        .unwrap();
    let reader = tokio::spawn({
        let (cache, db) = (Arc::clone(&cache), db.db.clone());
        async move { cache.get(&db).await.unwrap() }
    });
    // The read has taken the parameters and waits for the servers.
    let watcher = Database::connect(&db.url).await.unwrap();
    let waiting = "SELECT 1 FROM pg_locks l JOIN pg_class c ON c.oid = l.relation \
                   WHERE NOT l.granted AND c.relname = 'servers'";
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(20);
    let waiting = sea_orm::Statement::from_string(sea_orm::DbBackend::Postgres, waiting);
    while watcher.query_all(waiting.clone()).await.unwrap().is_empty() {
        assert!(
            std::time::Instant::now() < deadline,
            "the read never waited"
        );
        tokio::time::sleep(std::time::Duration::from_millis(20)).await;
    }
    change
        .execute_unprepared(
            "UPDATE enterprise_parameters SET value = 'SHA-512' \
             WHERE name = 'TftpFileSignatureAlgorithm'",
        )
        .await
        .unwrap();
    cache.invalidate();
    change.commit().await.unwrap();

    let stale = reader.await.unwrap();
    assert_eq!(
        stale.signature_hash,
        HashAlgorithm::Sha1,
        "the read began before"
    );
    let after = cache.get(&db.db).await.unwrap();
    assert_eq!(after.signature_hash, HashAlgorithm::Sha512);
    assert_eq!(
        cache.fresh(&db.db).await.unwrap().signature_hash,
        HashAlgorithm::Sha512
    );
    other.close().await.unwrap();
    watcher.close().await.unwrap();
    db.finish().await;
}
